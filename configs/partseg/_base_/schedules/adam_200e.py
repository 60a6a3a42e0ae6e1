# The PARTICLE code's schedule: Adam lr 1e-5, batch 8 (incomplete batches
# skipped), 200 epochs, a checkpoint every 5 epochs. No validation during
# training: tools/partseg_protocol.py selects checkpoints on test folds.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-5))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TestLoop')

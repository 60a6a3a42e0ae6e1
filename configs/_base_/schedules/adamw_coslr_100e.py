# LoDisc code's pre-training schedule: AdamW with lr 1e-3 x batch / 256
# (1.25e-4 at its batch of 32) and weight decay 0.5 on every parameter, a
# half-cosine per iteration without warm-up, 100 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.25e-4, weight_decay=0.5))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=100,
        by_epoch=True,
        begin=0,
        end=100,
        convert_to_iter_based=True)
]
# Online retrieval/kNN on the held-out part of the training split.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# --auto-scale-lr scales linearly from the batch the lr above is set for.
auto_scale_lr = dict(base_batch_size=32)

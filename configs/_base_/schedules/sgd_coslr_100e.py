# LCR / MoCo v2 pre-training schedule: SGD 0.03 at batch 128, momentum 0.9,
# weight decay 1e-4 on all parameters, per-epoch cosine without warm-up.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
]
# Online retrieval/kNN on the held-out part of the training split.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# The official LCR code does not scale the lr with the batch size;
# --auto-scale-lr scales linearly from this reference batch.
auto_scale_lr = dict(base_batch_size=128)

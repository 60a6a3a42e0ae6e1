# MoCo v2 on the embedded synthetic benchmark, sized for a 2-core CPU: a
# half-width ResNet-18 from random initialisation whose last stage keeps
# stride 1 (a 6x6 map at 96 px, like ResNet-50's 7x7 at 224 px).
_base_ = [
    './_base_/datasets/synthetic.py',
    './_base_/models/mocov2_r50.py',
    './_base_/schedules/sgd_coslr_100e.py',
    './_base_/selfsup_runtime.py',
]
model = dict(
    queue_len=1024,  # keys of the last ~1.6 epochs (640 training images)
    feat_dim=128,
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=32,
        base_channels=32,
        strides=(1, 2, 2, 1),
        norm_cfg=dict(type='BN')),
    neck=dict(in_channels=256, hid_channels=256, out_channels=128))

max_epochs = 40
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
default_hooks = dict(logger=dict(interval=5))

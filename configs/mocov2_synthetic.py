# MoCo v2 on the embedded synthetic benchmark, sized for a 2-core CPU (the
# CPU backbone and the budget shared by all synthetic configs).
_base_ = [
    './_base_/datasets/synthetic.py',
    './_base_/models/mocov2_r50.py',
    './_base_/models/resnet18_cpu.py',
    './_base_/schedules/sgd_coslr_cpu.py',
    './_base_/selfsup_runtime.py',
]
model = dict(
    # LCR's queue (65,536 keys) and m = 0.999 are sized for 5,994 CUB images
    # and 4,700 steps: here a queue longer than the 640 training images would
    # hold each image's own stale keys as negatives, and m = 0.999 would
    # leave the key encoder mostly at its start after a few hundred steps
    queue_len=256,  # 8 batches, 0.4 of an epoch
    momentum=0.01,  # mmengine EMA convention: m = 0.99
    feat_dim=128,
    backbone=dict(_delete_=True, **_base_.cpu_backbone),
    neck=dict(in_channels=256, hid_channels=256, out_channels=128))
default_hooks = dict(logger=dict(interval=5))

# MoCo v2 on the embedded synthetic benchmark, sized for a 2-core CPU (the
# CPU backbone and the 40-epoch budget shared by all synthetic configs).
_base_ = [
    './_base_/datasets/synthetic.py',
    './_base_/models/mocov2_r50.py',
    './_base_/models/resnet18_cpu.py',
    './_base_/schedules/sgd_coslr_40e_cpu.py',
    './_base_/selfsup_runtime.py',
]
model = dict(
    queue_len=1024,  # keys of the last ~1.6 epochs (640 training images)
    feat_dim=128,
    backbone=dict(_delete_=True, **_base_.cpu_backbone),
    neck=dict(in_channels=256, hid_channels=256, out_channels=128))
default_hooks = dict(logger=dict(interval=5))

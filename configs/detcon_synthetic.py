# DetCon-B on the embedded synthetic benchmark at the budget of the other
# synthetic configs (the CPU backbone from its generic initialisation, SGD
# 0.03 cosine for the shared budget; PARTICLE's lr 0.005 is sized for 600
# epochs). Felzenszwalb minimum segment size scaled with the image area
# (1000 px of a photo ~ 64 px of 96x96).
_base_ = [
    './_base_/datasets/synthetic_parts.py',
    './_base_/models/detcon_r50.py',
    './_base_/models/resnet18_cpu.py',
    './_base_/schedules/sgd_coslr_cpu.py',
    './_base_/parts_runtime.py',
]
model = dict(
    backbone=dict(_delete_=True, **_base_.cpu_backbone),
    neck=dict(in_channels=256, hid_channels=1024, out_channels=128),
    predictor=dict(in_channels=128, hid_channels=1024, out_channels=128),
    num_samples=5,
    fh_min_size=64)
default_hooks = dict(logger=dict(interval=5))

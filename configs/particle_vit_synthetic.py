# PARTICLE-ViT on the embedded synthetic benchmark: dino_synthetic.py's model
# and budget plus the part loss (projector 128-512-64, predictor 64-512-64),
# 6 parts per image from k-means of the teacher's last-layer keys on the
# 12x12 token grid of the 96 px image, re-discovered halfway through the
# budget (2 rounds, as particle_synthetic.py); dino_synthetic.py's teacher
# momentum.
_base_ = [
    './_base_/datasets/synthetic_parts.py',
    './_base_/models/particle_vit_s8.py',
    './_base_/models/vit_cpu.py',
    './_base_/schedules/adamw_coslr_cpu.py',
    './_base_/particle_vit_runtime.py',
]
model = dict(
    backbone=dict(_base_.cpu_vit, _delete_=True, out_type='raw'),
    head=dict(
        in_channels=128,
        hid_channels=512,
        bottleneck_channels=64,
        out_channels=1024),
    neck=dict(in_channels=128, hid_channels=512, out_channels=64),
    predictor=dict(in_channels=64, hid_channels=512, out_channels=64),
    base_momentum=_base_.teacher_base_momentum,  # 0.004 in the recipe
    teacher_temperature_warmup_epochs=_base_.budget_epochs // 5,
    discovery_size=96,
    epochs_per_round=_base_.budget_epochs // 2)
default_hooks = dict(logger=dict(interval=5))
protocol = dict(partseg='configs/partseg/synthetic_vit_frozen.py')

# MoCo v3 (the LoDisc code's setting, mocov3_cub.py) on the embedded
# synthetic benchmark, sized for a 2-core CPU: the CPU ViT from its generic
# initialisation, MLPs of width 512, the synthetic views at 96 px, AdamW for
# the shared budget.
_base_ = [
    './_base_/datasets/synthetic.py',
    './_base_/models/mocov3_vit_b16.py',
    './_base_/models/vit_cpu.py',
    './_base_/schedules/adamw_coslr_cpu.py',
    './_base_/selfsup_runtime.py',
]
_mlp = dict(
    in_channels=128,
    hid_channels=512,
    out_channels=128,
    norm_cfg=dict(type='BN1d'))  # SyncBN does not run on CPU processes
model = dict(
    backbone=dict(_delete_=True, **_base_.cpu_vit), neck=_mlp, predictor=_mlp)
default_hooks = dict(logger=dict(interval=5))
protocol = dict(partseg='configs/partseg/synthetic_vit_frozen_backbone.py')

# DINO on the embedded synthetic benchmark, sized for a 2-core CPU: the CPU
# ViT, a small head (128-512-512-64-1024), DINO's views at 96 px, AdamW for
# the shared budget, teacher temperature warmed up over its first fifth (20
# of the recipe's 100 epochs), teacher momentum 0.98 so that the teacher
# leaves its initialisation within the budget (see cpu_budget.py). The
# baseline of particle_vit_synthetic.py.
_base_ = [
    './_base_/datasets/synthetic.py',
    './_base_/datasets/pipelines/dino_96.py',
    './_base_/models/dino_vit_s8.py',
    './_base_/models/vit_cpu.py',
    './_base_/schedules/adamw_coslr_cpu.py',
    './_base_/dino_runtime.py',
]
model = dict(
    backbone=dict(_delete_=True, **_base_.cpu_vit),
    head=dict(
        in_channels=128,
        hid_channels=512,
        bottleneck_channels=64,
        out_channels=1024),
    base_momentum=_base_.teacher_base_momentum,  # 0.004 in the recipe
    teacher_temperature_warmup_epochs=_base_.budget_epochs // 5)
train_dataloader = dict(dataset=dict(pipeline=_base_.dino_train_pipeline))
default_hooks = dict(logger=dict(interval=5))
protocol = dict(partseg='configs/partseg/synthetic_vit_frozen.py')

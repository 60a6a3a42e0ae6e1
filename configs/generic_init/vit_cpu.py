# Supervised pre-training of the CPU ViT on the generic synthetic objects
# (the stand-in for ImageNet; the LoDisc code starts from torchvision's
# supervised ViT-B/16). Run by `python tools/make_generic_init.py vit_cpu`,
# which caches the result as generic://vit_cpu. Twice the ResNet's epochs:
# a ViT from scratch learns more slowly (12 epochs left its frozen class
# token at 11 % kNN on the benchmark, chance 6 %).
_base_ = [
    '../_base_/datasets/generic_objects.py',
    '../_base_/models/vit_cpu.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='ImageClassifier',
    backbone=dict(_base_.cpu_vit, init_cfg=None),
    head=dict(
        type='AttributeClsHead',
        attributes='generic_objects',
        in_channels=128))
# bfloat16 autocast: on a CPU with bfloat16 instructions about 1.2x faster per
# step than float32 (0.851x the step time, benchmarks/bf16_step_cost.py); in
# float32 on one without them. type='OptimWrapper' trains in float32.
optim_wrapper = dict(
    type='BFloat16OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=2,
        end=24,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=24, val_interval=8)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=24, max_keep_ckpts=1))

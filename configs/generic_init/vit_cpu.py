# Pre-training of the CPU ViT on the generic synthetic objects (the stand-in
# for ImageNet; the LoDisc code starts from torchvision's supervised
# ViT-B/16), with the labels and, as DeiT's distilled ViTs learn from a
# convnet, the features of the generic ResNet (generic://resnet18_cpu, made
# first): its class token regresses the ResNet's pooled feature, its patch
# tokens the ResNet's 6x6 map. Run by `python tools/make_generic_init.py
# vit_cpu` (13.6 min on a 2-core CPU, held-out top-1 5.1 %), which caches
# the backbone as generic://vit_cpu. From labels alone and a plain 8x8 patch
# embedding the ViT learned the objects poorly (24 epochs, 33.6 min:
# held-out top-1 3.6 %); the convolutional stem of vit_cpu.py made the
# difference (distilled without it: 1.7 % after these 10 epochs).
_base_ = [
    '../_base_/datasets/generic_objects.py',
    '../_base_/models/resnet18_cpu.py',
    '../_base_/models/vit_cpu.py',
    '../_base_/default_runtime.py',
]
epochs = 10
model = dict(
    type='FeatureDistilledClassifier',
    backbone=dict(_base_.cpu_vit, init_cfg=None, out_type='raw'),
    teacher=_base_.cpu_backbone,
    teacher_channels=256,
    head=dict(
        type='AttributeClsHead', attributes='generic_objects',
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
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        end=epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=epochs, max_keep_ckpts=1))

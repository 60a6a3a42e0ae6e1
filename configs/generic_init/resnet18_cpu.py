# Supervised pre-training of the CPU ResNet on the generic synthetic objects
# (172 classes of part-composed objects: the stand-in for ImageNet),
# predicting each class's part attributes (AttributeClsHead). Run by
# `python tools/make_generic_init.py resnet18_cpu`, which caches the result
# as generic://resnet18_cpu.
_base_ = [
    '../_base_/datasets/generic_objects.py',
    '../_base_/models/resnet18_cpu.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='ImageClassifier',
    backbone=dict(_base_.cpu_backbone, init_cfg=None),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='AttributeClsHead',
        attributes='generic_objects',
        in_channels=256))
# bfloat16 autocast: on a CPU with bfloat16 instructions about 1.7x faster per
# step than float32 (0.586x the step time, benchmarks/bf16_step_cost.py); in
# float32 on one without them. type='OptimWrapper' trains in float32.
optim_wrapper = dict(
    type='BFloat16OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        end=12,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=12, max_keep_ckpts=1))

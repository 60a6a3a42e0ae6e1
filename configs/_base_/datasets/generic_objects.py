# The generic synthetic objects (mmfgssl/datasets/generic.py) for supervised
# pre-training: 172 classes x 40 training images of 96 px, the held-out 5 per
# class to monitor it. tools/make_generic_init.py writes the data set into
# its cache and points MMFGSSL_GENERIC_OBJECTS at it.
data_root = '{{$MMFGSSL_GENERIC_OBJECTS:data/generic_objects}}/'
data_preprocessor = dict(
    num_classes=172,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
dataset = dict(
    type='CUB', data_root=data_root, classes=data_root + 'classes.txt')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=96,
        crop_ratio_range=(0.35, 1.0),
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(dataset, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(dataset, split='test', pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# The embedded synthetic fine-grained benchmark (tools/make_synthetic.py):
# 16 bird classes told apart only by beak, wing bars, crest and eye ring;
# 640 train / 640 test images of 96 px, in the CUB-200-2011 layout.
# Same protocol as the real datasets, sized for a CPU.
_base_ = './fgvc_mocov2_224.py'
data_root = 'data/synthetic_birds/'
train_set = dict(
    type='CUB',
    data_root=data_root,
    split='train',
    classes=data_root + 'classes.txt')
test_set = dict(train_set, split='test')

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=96,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
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
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    # sigma range scaled from 224 px to 96 px
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 0.9),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
# The birds may sit near the border: evaluate on the whole 96 px image.
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(train_set, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        pipeline=test_pipeline,
        query=dict(
            type='HoldoutSplit',
            dataset=train_set,
            part='holdout',
            holdout_fraction=0.2),
        memory=dict(
            type='HoldoutSplit',
            dataset=train_set,
            part='rest',
            holdout_fraction=0.2)))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(pipeline=test_pipeline, query=test_set, memory=train_set))

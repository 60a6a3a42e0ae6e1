# Pipelines, loaders and evaluation shared by the real fine-grained datasets
# (cub.py, cars.py, aircraft.py fill in the datasets): the MoCo v2 two-view
# augmentation at 224 px and the LCR test transform (resize 256, crop 224).
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=224,
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
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

# LCR trains with a global batch of 128; with N GPUs set batch_size=128 // N.
# Workers are restarted (and reseeded) every epoch so that --resume is exact;
# persistent_workers=True is faster but resumes with other augmentations.
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    drop_last=True,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(pipeline=train_pipeline))

# Evaluation loaders serve an EvalSplitsDataset: `query` images (retrieval,
# leave-one-out) and a `memory` bank (kNN). Validation uses a held-out part of
# the training split; testing uses the test split against the training split.
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='EvalSplitsDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='RetrievalMetric', topk=(1, 5)),
    dict(type='KNNMetric', k=20, temperature=0.07),
]
test_evaluator = val_evaluator

# Part segmentation on the embedded synthetic benchmark (7 parts +
# background): 20-shot training list from the training split, test split
# (640 images) in 5 folds. Crop to the parts plus 8 px (20 px scaled to
# 96 px), resize to 96 px; train: colour jitter p=0.5, flip.
dataset_type = 'SyntheticPartsDataset'
data_root = 'data/synthetic_birds/'
crop_size = (96, 96)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartAnnotations'),
    dict(type='CropToParts', margin=8),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.2,
                contrast=0.2,
                saturation=0.2)
        ],
        prob=0.5),
    dict(type='FlipSwapParts', prob=0.5),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartAnnotations'),
    dict(type='CropToParts', margin=8),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='ScoreAtInputSize'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        num_shots=20,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
test_evaluator = dict(type='FewShotPartIoU', num_folds=5)

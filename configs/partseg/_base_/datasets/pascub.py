# PASCUB birds (CUB and PASCAL-Part birds with 10 part labels + background):
# k-shot training list, test on CUB_Parts/images_test in 5 folds. Images are
# cropped to the labelled parts plus 20 px and resized to 224 (train: colour
# jitter p=0.5, flip with left/right part swap), as the PARTICLE code.
dataset_type = 'PASCUBPartsDataset'
data_root = 'data/PASCUB_Birds/'
crop_size = (224, 224)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartAnnotations'),
    dict(type='CropToParts', margin=20),
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
    dict(type='FlipSwapParts', prob=0.5, swap_pairs=[(4, 5), (6, 7), (8, 9)]),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartAnnotations'),
    dict(type='CropToParts', margin=20),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='ScoreAtInputSize'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        num_shots=None,  # all; tools/partseg_protocol.py --shots sets k
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
test_evaluator = dict(type='FewShotPartIoU', num_folds=5)

# OID Aircraft parts (nose, vertical stabiliser, wheel, wing; overlapping, so
# multi-label): k-shot list from PARTICLE's train_oid.txt, test on
# val_oid.txt (75 images) in 5 folds. The 21 px photo-credit banner is cut,
# images resized to 224 (train: colour jitter p=0.5, flip).
dataset_type = 'OIDAircraftPartsDataset'
data_root = 'data/oid-aircraft-beta-1/'
crop_size = (224, 224)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOIDAircraftParts', banner=21),
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
    dict(type='LoadOIDAircraftParts', banner=21),
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
        ann_file='train_oid.txt',
        num_shots=None,  # all; tools/partseg_protocol.py --shots sets k
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val_oid.txt',
        pipeline=test_pipeline))
test_evaluator = dict(type='FewShotPartIoU', num_folds=5, multi_label=True)

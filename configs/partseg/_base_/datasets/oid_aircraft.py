# OID Aircraft parts (nose, vertical stabiliser, wheel, wing; overlapping, so
# multi-label): k-shot list from PARTICLE's train_oid.txt, test on
# val_oid.txt (75 images) in 5 folds. The 21 px photo-credit banner is cut,
# images resized to 224 (train: colour jitter p=0.5, flip).
_base_ = './few_shot_parts.py'
dataset_type = 'OIDAircraftPartsDataset'
data_root = 'data/oid-aircraft-beta-1/'
crop_size = (224, 224)
load_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOIDAircraftParts', banner=21),
]
train_pipeline = [
    *load_pipeline,
    _base_.part_colour_jitter,
    dict(type='FlipSwapParts', prob=0.5),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    *load_pipeline,
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='ScoreAtInputSize'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train_oid.txt',
        num_shots=None,  # all; tools/partseg_protocol.py --shots sets k
        pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val_oid.txt',
        pipeline=test_pipeline))
test_evaluator = dict(multi_label=True)

# Part segmentation on the embedded synthetic benchmark (7 parts +
# background): 20-shot training list from the training split, 200 test
# images in 5 folds. Crop to the parts plus 8 px (20 px scaled to
# 96 px), resize to 96 px; train: colour jitter p=0.5, flip.
_base_ = './few_shot_parts.py'
dataset_type = 'SyntheticPartsDataset'
data_root = 'data/synthetic_birds/'
crop_size = (96, 96)
load_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartAnnotations'),
    dict(type='CropToParts', margin=8),
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
# 20 small images an epoch: loading them in the main process costs less than
# worker processes that compete for the CPU
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        num_shots=20,
        pipeline=train_pipeline))
# 200 of the 640 test images (5 folds of 40), the same for every run: the
# results table scores part segmentation for every method and seed
test_dataloader = dict(
    batch_size=16,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        num_shots=200,
        seed=0,
        pipeline=test_pipeline))

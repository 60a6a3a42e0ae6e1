# PASCUB birds (CUB and PASCAL-Part birds with 10 part labels + background):
# k-shot training list, test on CUB_Parts/images_test in 5 folds. Images are
# cropped to the labelled parts plus 20 px and resized to 224 (train: colour
# jitter p=0.5, flip with left/right part swap), as the PARTICLE code.
_base_ = './few_shot_parts.py'
dataset_type = 'PASCUBPartsDataset'
data_root = 'data/PASCUB_Birds/'
crop_size = (224, 224)
load_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartAnnotations'),
    dict(type='CropToParts', margin=20),
]
train_pipeline = [
    *load_pipeline,
    _base_.part_colour_jitter,
    dict(type='FlipSwapParts', prob=0.5, swap_pairs=[(4, 5), (6, 7), (8, 9)]),
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
        split='train',
        num_shots=None,  # all; tools/partseg_protocol.py --shots sets k
        pipeline=train_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))

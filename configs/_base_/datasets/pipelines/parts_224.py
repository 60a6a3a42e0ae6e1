# Two views of an image and its part map, as the PARTICLE code's
# datasets/cub.py builds them: per view a random-resized crop (0.08-1) and
# flip shared by image and part map (bicubic / nearest), then colour only on
# the image: ColorJitter(0.4, 0.4, 0.2, 0.1) p=0.8, Gaussian blur p=1.0 in
# view 1 and 0.1 in view 2, solarize p=0.2 in view 2 only; no grayscale.
# Solarize uses the usual threshold 128; the code's RandomSolarize(0.5) on
# 8-bit images inverts almost every pixel (thr=1 reproduces that).
_photometric = [
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.2,
                hue=0.1)
        ],
        prob=0.8),
]
part_view_pipelines = [
    _photometric + [
        dict(
            type='GaussianBlur',
            magnitude_range=(0.1, 2.0),
            magnitude_std='inf',
            prob=1.0),
    ],
    _photometric + [
        dict(
            type='GaussianBlur',
            magnitude_range=(0.1, 2.0),
            magnitude_std='inf',
            prob=0.1),
        dict(type='Solarize', thr=128, prob=0.2),
    ],
]
part_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartMap'),
    dict(
        type='MultiViewWithMasks',
        crop_size=224,
        scale=(0.08, 1.0),
        transforms=part_view_pipelines),
    dict(type='PackInputs', algorithm_keys=['part_masks']),
]

# The asymmetric two views of BYOL / MoCo v3 (ViT) at 224 px, as the LoDisc
# code's main.py: random-resized crop (0.08-1), ColorJitter(0.4, 0.4, 0.2,
# 0.1) p=0.8, grayscale p=0.2, Gaussian blur p=1.0 in view 1 and 0.1 in
# view 2, solarize p=0.2 in view 2 only, flip.
_crop_and_colour = [
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.08, 1.),
        backend='pillow'),
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
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
]
mocov3_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[
            _crop_and_colour + [
                dict(
                    type='GaussianBlur',
                    magnitude_range=(0.1, 2.0),
                    magnitude_std='inf',
                    prob=1.0),
                dict(type='RandomFlip', prob=0.5),
            ],
            _crop_and_colour + [
                dict(
                    type='GaussianBlur',
                    magnitude_range=(0.1, 2.0),
                    magnitude_std='inf',
                    prob=0.1),
                dict(type='Solarize', thr=128, prob=0.2),
                dict(type='RandomFlip', prob=0.5),
            ],
        ]),
    dict(type='PackInputs'),
]

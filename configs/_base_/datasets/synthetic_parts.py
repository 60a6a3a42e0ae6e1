# The synthetic benchmark with a part map per training image (written by
# PartMapHook) and the paired-view pipeline of pipelines/parts_224.py at
# 96 px (blur sigma scaled to 96 px).
_base_ = './synthetic.py'
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
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PartMapDataset',
        dataset={{_base_.train_set}},
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadPartMap'),
            dict(
                type='MultiViewWithMasks',
                crop_size=96,
                scale=(0.08, 1.0),
                transforms=[
                    _photometric + [
                        dict(
                            type='GaussianBlur',
                            magnitude_range=(0.1, 0.9),
                            magnitude_std='inf',
                            prob=1.0),
                    ],
                    _photometric + [
                        dict(
                            type='GaussianBlur',
                            magnitude_range=(0.1, 0.9),
                            magnitude_std='inf',
                            prob=0.1),
                        dict(type='Solarize', thr=128, prob=0.2),
                    ],
                ]),
            dict(type='PackInputs', algorithm_keys=['part_masks']),
        ]))

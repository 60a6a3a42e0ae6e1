# DINO's multi-crop views with the PARTICLE code's augmentation (the views of
# pipelines/parts_224.py, without part maps): two global crops at 224 px
# (random-resized crop 0.08-1, bicubic, flip, then view 1's / view 2's
# colour pipeline) and `num_views[2]` local crops as DINO's (96 px of
# 0.05-0.4 of the image, flip, colour jitter p=0.8, grayscale p=0.2, blur
# p=0.5). The PARTICLE recipe has no local crop; DINO's ImageNet recipe
# uses 8 (--cfg-options "train_dataloader.dataset.pipeline.1.num_views=
# [1,1,8]", with global crops of 0.4-1 then).
_base_ = './parts_224.py'
dino_global_views = [[
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.08, 1.),
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    *view
] for view in _base_.part_view_pipelines]
dino_local_view = [
    dict(
        type='RandomResizedCrop',
        scale=96,
        crop_ratio_range=(0.05, 0.4),
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    *_base_.part_view_pipelines[0][:-1],  # colour jitter p=0.8
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
]
dino_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1, 0],
        transforms=[*dino_global_views, dino_local_view]),
    dict(type='PackInputs'),
]

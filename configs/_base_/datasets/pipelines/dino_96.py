# The views of dino_224.py at the synthetic benchmark's 96 px: global crops
# of 96 px, local crops of 40 px (96 x 96 / 224, a multiple of the 8 px
# patches), blur sigma ranges scaled from 224 px.
_base_ = './dino_224.py'
_dino_views = [*_base_.dino_global_views, _base_.dino_local_view]
dino_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1, 0],
        transforms=[[
            dict(t, scale=crop) if t['type'] == 'RandomResizedCrop' else dict(
                t, magnitude_range=(0.1, 2.0 * 96 / 224))
            if t['type'] == 'GaussianBlur' else t for t in view
        ] for view, crop in zip(_dino_views, [96, 96, 40])]),
    dict(type='PackInputs'),
]

# The synthetic benchmark with a part map per training image (written by
# PartMapHook) and the paired-view pipeline of pipelines/parts_224.py at the
# benchmark's image size (blur sigma range scaled from 224 px to it).
_base_ = ['./synthetic.py', './pipelines/parts_224.py']
_view_pipelines = [[
    dict(t, magnitude_range=(0.1, 2.0 * _base_.image_size / 224))
    if t['type'] == 'GaussianBlur' else t for t in view
] for view in _base_.part_view_pipelines]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PartMapDataset',
        dataset=_base_.train_set,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadPartMap'),
            dict(
                type='MultiViewWithMasks',
                crop_size=_base_.image_size,
                scale=(0.08, 1.0),
                transforms=_view_pipelines),
            dict(type='PackInputs', algorithm_keys=['part_masks']),
        ]))

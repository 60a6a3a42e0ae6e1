# The supervised upper bound on the synthetic benchmark: the synthetic
# configs' backbone from the same generic initialisation, trained with the
# training split's labels at the same budget (schedule, batch, epochs) and
# evaluated by the same protocols on its pooled backbone feature.
_base_ = '../mocov2_synthetic.py'
model = dict(
    _delete_=True,
    type='SupervisedBaseline',
    backbone=_base_.cpu_backbone,
    num_classes=16,
    feature_dim=256)
# one view, crops and flips (the classification recipe, not the SSL views)
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(
            type='RandomResizedCrop',
            scale=_base_.image_size,
            crop_ratio_range=(0.35, 1.0),
            backend='pillow'),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackInputs'),
    ]))

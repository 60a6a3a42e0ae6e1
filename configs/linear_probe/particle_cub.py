# PARTICLE's probe on CUB (tools/logistic_probe.py): each image centre-cropped
# to 0.875 of its shorter side, resized to 224 x 224. (The code reads its own
# train/val lists; the standard CUB split is used here.)
_base_ = '../_base_/particle_probe.py'
data_root = 'data/CUB_200_2011/'
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CentreCropFraction', fraction=0.875),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    _base_.loader,
    dataset=dict(
        type='CUB', data_root=data_root, split='train', pipeline=pipeline))
test_dataloader = dict(
    _base_.loader,
    dataset=dict(
        type='CUB', data_root=data_root, split='test', pipeline=pipeline))

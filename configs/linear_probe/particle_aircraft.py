# PARTICLE's probe on FGVC-Aircraft (tools/logistic_probe.py): trainval vs
# test, 100 variants, images resized to 224 x 224.
_base_ = '../_base_/particle_probe.py'
data_root = 'data/fgvc-aircraft-2013b/'
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    _base_.loader,
    dataset=dict(
        type='FGVCAircraft',
        data_root=data_root,
        split='trainval',
        pipeline=pipeline))
test_dataloader = dict(
    _base_.loader,
    dataset=dict(
        type='FGVCAircraft',
        data_root=data_root,
        split='test',
        pipeline=pipeline))

# PARTICLE's probe on the synthetic benchmark (tools/logistic_probe.py): the
# whole 96 px images.
_base_ = '../_base_/particle_probe.py'
data_root = 'data/synthetic_birds/'
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
dataset = dict(
    type='CUB',
    data_root=data_root,
    classes=data_root + 'classes.txt',
    pipeline=pipeline)
train_dataloader = dict(_base_.loader, dataset=dict(dataset, split='train'))
test_dataloader = dict(_base_.loader, dataset=dict(dataset, split='test'))

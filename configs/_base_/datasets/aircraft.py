# FGVC-Aircraft: 6,667 trainval / 3,333 test images, 100 variants.
_base_ = './fgvc_mocov2_224.py'
data_root = 'data/fgvc-aircraft-2013b/'
train_set = dict(type='FGVCAircraft', data_root=data_root, split='trainval')

train_dataloader = dict(dataset=train_set)
val_dataloader = dict(
    dataset=dict(
        query=dict(type='HoldoutSplit', dataset=train_set, part='holdout'),
        memory=dict(type='HoldoutSplit', dataset=train_set, part='rest')))
test_dataloader = dict(
    dataset=dict(
        query=dict(type='FGVCAircraft', data_root=data_root, split='test'),
        memory=train_set))

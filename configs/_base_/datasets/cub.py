# CUB-200-2011: 5,994 train / 5,794 test images, 200 species.
_base_ = './fgvc_mocov2_224.py'
data_root = 'data/CUB_200_2011/'
train_set = dict(type='CUB', data_root=data_root, split='train')

train_dataloader = dict(dataset=train_set)
val_dataloader = dict(
    dataset=dict(
        query=dict(type='HoldoutSplit', dataset=train_set, part='holdout'),
        memory=dict(type='HoldoutSplit', dataset=train_set, part='rest')))
test_dataloader = dict(
    dataset=dict(
        query=dict(type='CUB', data_root=data_root, split='test'),
        memory=train_set))

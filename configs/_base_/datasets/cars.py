# Stanford Cars: 8,144 train / 8,041 test images, 196 models.
_base_ = './fgvc_mocov2_224.py'
data_root = 'data/Stanford_Cars/'
train_set = dict(type='StanfordCars', data_root=data_root, split='train')

train_dataloader = dict(dataset=train_set)
val_dataloader = dict(
    dataset=dict(
        query=dict(type='HoldoutSplit', dataset=train_set, part='holdout'),
        memory=dict(type='HoldoutSplit', dataset=train_set, part='rest')))
test_dataloader = dict(
    dataset=dict(
        query=dict(type='StanfordCars', data_root=data_root, split='test'),
        memory=train_set))

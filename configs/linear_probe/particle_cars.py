# PARTICLE's probe on Stanford Cars (tools/logistic_probe.py). The code has
# no Cars probe (the paper reports one): this project applies the CUB crop.
_base_ = './particle_cub.py'
data_root = 'data/Stanford_Cars/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='StanfordCars',
        data_root=data_root,
        split='train',
        pipeline=_base_.pipeline))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='StanfordCars',
        data_root=data_root,
        split='test',
        pipeline=_base_.pipeline))

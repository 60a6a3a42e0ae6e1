# SimSiam baseline in LCR's setting (ResNet-50 from ImageNet weights, 224 px
# MoCo v2 views, batch 128, 100 epochs cosine): the base of
# synthpairs_simsiam_cub.py. SimSiam's optimiser rule: SGD lr 0.05 x batch /
# 256 = 0.025, momentum 0.9, weight decay 1e-4, the predictor's lr fixed.
_base_ = [
    './_base_/datasets/cub.py',
    './_base_/models/simsiam_r50.py',
    './_base_/schedules/sgd_coslr_100e.py',
    './_base_/selfsup_runtime.py',
]
lr = 0.025
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
# the runtime's IterationSeedHook, and SimSiam's fixed predictor lr
custom_hooks = [
    dict(type='IterationSeedHook'),
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)
]

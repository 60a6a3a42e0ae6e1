# SimSiam on the embedded synthetic benchmark, sized for a 2-core CPU: the
# CPU backbone and the shared budget (SGD 0.03 cosine), MLPs of
# width 256 (predictor bottleneck 64) with BN1d (SyncBN does not run on CPU
# processes), the predictor's lr fixed as in SimSiam.
_base_ = [
    './_base_/datasets/synthetic.py',
    './_base_/models/simsiam_r50.py',
    './_base_/models/resnet18_cpu.py',
    './_base_/schedules/sgd_coslr_cpu.py',
    './_base_/selfsup_runtime.py',
]
model = dict(
    backbone=dict(_delete_=True, **_base_.cpu_backbone),
    neck=dict(
        in_channels=256,
        hid_channels=256,
        out_channels=256,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        predictor=dict(
            in_channels=256,
            hid_channels=64,
            out_channels=256,
            norm_cfg=dict(type='BN1d'))))
lr = 0.03  # the shared CPU schedule's
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
# the runtime's IterationSeedHook, and SimSiam's fixed predictor lr
custom_hooks = [
    dict(type='IterationSeedHook'),
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)
]
default_hooks = dict(logger=dict(interval=5))

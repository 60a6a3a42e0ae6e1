# Frozen-backbone probe: oid_aircraft_r50_finetune.py with the self-supervised
# ResNet-50 frozen (weights and BN statistics); only the decoder trains, with
# a larger lr (Adam 1e-3) since nothing pre-trained can be disturbed.
_base_ = './oid_aircraft_r50_finetune.py'
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
optim_wrapper = dict(optimizer=dict(lr=1e-3))

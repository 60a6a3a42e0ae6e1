# Baseline: the synthetic configs' ResNet from random initialisation,
# evaluated as it is (no pre-training).
_base_ = './generic_init_synthetic.py'
model = dict(backbone=dict(init_cfg=None))

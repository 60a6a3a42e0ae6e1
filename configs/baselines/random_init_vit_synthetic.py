# Baseline of the ViT methods: the CPU ViT from random initialisation,
# evaluated as it is (no pre-training) on its class token.
_base_ = './generic_init_vit_synthetic.py'
model = dict(backbone=dict(init_cfg=None))

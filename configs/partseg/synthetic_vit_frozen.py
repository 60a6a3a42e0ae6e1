# Frozen-backbone probe on the synthetic benchmark: synthetic_vit_finetune.py
# with the checkpoint's CPU ViT frozen (all 4 layers and the final norm);
# only the decoder trains (Adam 1e-2).
_base_ = './synthetic_vit_finetune.py'
model = dict(backbone=dict(frozen_stages=4))
optim_wrapper = dict(optimizer=dict(lr=1e-2))

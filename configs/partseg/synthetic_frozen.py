# Frozen-backbone probe on the synthetic benchmark: synthetic_finetune.py
# with the self-supervised backbone frozen; only the decoder trains (Adam
# 1e-2).
_base_ = './synthetic_finetune.py'
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
optim_wrapper = dict(optimizer=dict(lr=1e-2))

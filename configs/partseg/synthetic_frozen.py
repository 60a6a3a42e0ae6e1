# Frozen-backbone probe on the synthetic benchmark: synthetic_finetune.py
# with the self-supervised backbone frozen; only the decoder trains (Adam
# 1e-2). The part-segmentation protocol of the synthetic configs (this
# project's choice; the paper fine-tunes): it separates random from
# pre-trained weights, which fine-tuning on 20 shots does not.
_base_ = './synthetic_finetune.py'
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
optim_wrapper = dict(optimizer=dict(lr=1e-2))

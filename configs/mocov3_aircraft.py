# MoCo v3 on ViT-B/16 in the LoDisc code's setting, the baseline of
# lodisc_aircraft.py (the same model without the local branch): both encoders
# from torchvision's ImageNet ViT-B/16, BYOL/MoCo v3 views at 224 px, batch 32,
# AdamW 1.25e-4 (1e-3 x 32/256), weight decay 0.5, 100 epochs cosine,
# T=0.2, momentum 0.99 cosine to 1.
_base_ = [
    './_base_/datasets/aircraft.py',
    './_base_/datasets/pipelines/mocov3_224.py',
    './_base_/models/mocov3_vit_b16.py',
    './_base_/schedules/adamw_coslr_100e.py',
    './_base_/selfsup_runtime.py',
]
# The LoDisc code's global batch; with N GPUs set batch_size=32 // N.
train_dataloader = dict(
    batch_size=32, dataset=dict(pipeline=_base_.mocov3_train_pipeline))

# synthetic_vit_finetune.py for the ViT checkpoints that keep their test-time
# ViT under `backbone.` (MoCo v3, LoDisc, the ViT baselines) rather than
# DINO's teacher.
#   python tools/partseg_protocol.py \
#       configs/partseg/synthetic_vit_finetune_backbone.py \
#       work_dirs/lodisc_synthetic/epoch_20.pth
_base_ = './synthetic_vit_finetune.py'
model = dict(backbone=dict(init_cfg=dict(prefix='backbone.')))

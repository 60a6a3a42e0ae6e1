# synthetic_vit_frozen.py for the ViT checkpoints that keep their test-time
# ViT under `backbone.` (MoCo v3, LoDisc, the ViT baselines) rather than
# DINO's teacher.
_base_ = './synthetic_vit_frozen.py'
model = dict(backbone=dict(init_cfg=dict(prefix='backbone.')))

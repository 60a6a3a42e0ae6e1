# Linear probe of a CPU-ViT DINO / PARTICLE-ViT checkpoint (dino_synthetic.py,
# particle_vit_synthetic.py) on the synthetic benchmark as synthetic_vit.py,
# on the teacher's class token. Usage:
#   python tools/train.py configs/linear_probe/synthetic_dino.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
# (PARTICLE's own probe: tools/logistic_probe.py with
# configs/linear_probe/particle_synthetic.py.)
_base_ = './synthetic_vit.py'
model = dict(backbone=dict(algorithm_overrides=None))  # DINO has one feature

# Linear probe of a DINO / PARTICLE-ViT ViT-S/8 checkpoint on cars
# (dino_cars.py, particle_vit_cars.py) as the ViT probes of
# configs/linear_probe/cars_vit.py (SGD lr 0.5, cosine, un-normalised
# feature) on the algorithm's test-time representation, the teacher's class
# token after the final norm (384-d). Usage:
#   python tools/train.py configs/linear_probe/cars_dino.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
# (PARTICLE's own probe: tools/logistic_probe.py with
# configs/linear_probe/particle_cars.py.)
_base_ = './cars_vit.py'
model = dict(
    backbone=dict(algorithm_overrides=None),  # DINO has one feature
    head=dict(in_channels=384))

# Linear probe of a ViT-B/16 checkpoint on cars (mocov3_cars.py,
# lodisc_cars.py) as the LoDisc code does it
# (configs/_base_/vit_linear_probe.py). Usage:
#   python tools/train.py configs/linear_probe/cars_vit.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
_base_ = ['./cars.py', '../_base_/vit_linear_probe.py']
model = dict(
    backbone=_base_.vit_probe_backbone,
    head=dict(in_channels=768))  # ViT-B class token
optim_wrapper = dict(optimizer=dict(lr=_base_.vit_probe_lr))
param_scheduler = _base_.vit_probe_scheduler

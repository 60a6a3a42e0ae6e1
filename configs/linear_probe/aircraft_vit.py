# Linear probe of a ViT-B/16 checkpoint on aircraft (mocov3_aircraft.py,
# lodisc_aircraft.py) as the LoDisc code does it
# (configs/_base_/vit_linear_probe.py). Usage:
#   python tools/train.py configs/linear_probe/aircraft_vit.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
_base_ = ['./aircraft.py', '../_base_/vit_linear_probe.py']
model = dict(
    backbone=_base_.vit_probe_backbone,
    head=dict(in_channels=768))  # ViT-B class token
optim_wrapper = dict(optimizer=dict(lr=_base_.vit_probe_lr))
param_scheduler = _base_.vit_probe_scheduler

# Linear probe of a CPU-ViT checkpoint (mocov3_synthetic.py,
# lodisc_synthetic.py) on the synthetic benchmark, as the LoDisc code (see
# configs/_base_/vit_linear_probe.py) at the synthetic probe's batch of 64
# (lr 0.5 x 64 / 256) and 50 epochs: usage
#   python tools/train.py configs/linear_probe/synthetic_vit.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
_base_ = ['./synthetic.py', '../_base_/vit_linear_probe.py']
model = dict(
    backbone=_base_.vit_probe_backbone,
    head=dict(in_channels=128))  # CPU ViT class token
optim_wrapper = dict(optimizer=dict(lr=_base_.vit_probe_lr * 64 / 256))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=50, by_epoch=True, begin=0, end=50)
]

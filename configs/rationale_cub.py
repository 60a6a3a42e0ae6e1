# LCR (common rationales, CVPR 2023) in the paper's setting: MoCo v2 with
# ResNet-50 from ImageNet weights, 224 px, queue 65536, m=0.999, T=0.2,
# 256-d projection, batch 128, SGD 0.03 cosine, 100 epochs; the rationale
# branch (32 projections, KL weight 0.01) with the official code's defaults
# (see mmfgssl/models/selfsup/lcr.py for the switches).
_base_ = './mocov2_cub.py'
model = dict(
    type='LCR',
    rationale_branch=dict(type='RationaleBranch', in_channels=2048))

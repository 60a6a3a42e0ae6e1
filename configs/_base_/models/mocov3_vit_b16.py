# MoCo v3 on ViT-B/16 as the LoDisc code builds it (the global branch of
# LoDisc, and the MoCo v3 baseline it is compared with): both encoders start
# from torchvision's supervised ImageNet ViT-B/16, the class token after the
# final norm is the encoder output, a 768-4096-768 predictor (BN, ReLU,
# dropout 0.2, last BN without affine), T = 0.2, momentum 0.99 annealed to 1
# by a cosine. See mmfgssl/models/selfsup/mocov3.py for the switches.
_mlp = dict(
    type='DropoutNonLinearNeck',
    hid_channels=4096,
    with_bias=False,
    with_last_bn=True,
    with_last_bn_affine=False,
    with_last_bias=False,
    with_avg_pool=False,
    norm_cfg=dict(type='SyncBN'),  # the code converts its BNs to SyncBN
    dropout=0.2)  # the code's MLPs; MoCo v3 has no dropout
model = dict(
    type='FGMoCoV3',
    backbone=dict(
        type='VisionTransformer',
        arch='base',
        img_size=224,
        patch_size=16,
        out_type='cls_token',
        norm_cfg=dict(type='LN', eps=1e-6),  # torchvision's LayerNorm eps
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'vit_b_16-c867db91.pth',
            convert='torchvision_vit',
            strict=True)),
    # MoCo v3's projector: the code builds it and never calls it
    neck=dict(_mlp, in_channels=768, out_channels=768, num_layers=3),
    use_projector=False,
    predictor=dict(_mlp, in_channels=768, out_channels=768, num_layers=2),
    temperature=0.2,
    base_momentum=0.01,  # mmengine EMA convention: 1 - m, i.e. m = 0.99
    ema_updates_per_step=4,  # the code updates the EMA 4x per step; MoCo v3 1x
    test_feature='predictor')  # the code's retrieval; 'cls': its linear probe

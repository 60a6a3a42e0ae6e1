# MoCo v2 as in the LCR code: ResNet-50 from ImageNet-supervised weights,
# queue 65536, m=0.999, T=0.2, 2048-2048-256 MLP projector without BN.
model = dict(
    type='MoCoV2',
    queue_len=65536,
    feat_dim=256,
    momentum=0.001,  # mmengine EMA convention: 1 - m, i.e. m = 0.999
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False,
        # LCR initialises both encoders from torchvision's ImageNet weights.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='torchvision://resnet50',
            convert='torchvision_resnet',  # drops the classifier `fc`
            strict=True)),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=256,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

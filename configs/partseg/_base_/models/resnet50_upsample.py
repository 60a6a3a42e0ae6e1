# The PARTICLE/CoarseSup part-segmentation network on an mmfgssl
# self-supervised checkpoint: mmpretrain's ResNet-50 (not mmseg's ResNetV1c,
# whose deep stem would not match and stay random) with output stride 16
# (layer4 stride 1, dilation 2), and four [x2 upsample, 1x1 conv, BN, ReLU]
# blocks back to full resolution. The checkpoint's `backbone.` weights are
# loaded strictly: pass it with
#   --cfg-options model.backbone.init_cfg.checkpoint=<checkpoint>
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=16)  # inputs are resized to 224 (or 96): never padded
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(3, ),
        norm_cfg=norm_cfg,
        zero_init_residual=False,
        init_cfg=dict(
            type='Pretrained', checkpoint='', prefix='backbone.',
            strict=True)),
    decode_head=dict(
        type='PartUpsampleHead',
        in_channels=2048,
        up_channels=(256, 128, 64, 32),
        num_classes=11,
        norm_cfg=norm_cfg,
        dropout_ratio=0.,
        align_corners=False,
        # averaged over labelled pixels, as torch's CrossEntropyLoss
        loss_decode=dict(
            type='CrossEntropyLoss', loss_weight=1.0, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

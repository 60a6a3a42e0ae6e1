# The part-segmentation network on a DINO / PARTICLE-ViT checkpoint (the
# PARTICLE code's fcn_dino.py setting): resnet50_upsample.py with
# mmpretrain's ViT-S/8 (as FrozenStagesViT: frozen stages stay frozen in
# training mode) whose patch tokens after the final norm form a 28x28
# map (out_type='featmap'), and three [x2 upsample, 1x1 conv, BN, ReLU]
# blocks back to 224 px. The checkpoint's teacher ViT (the network DINO and
# the code evaluate) is loaded strictly: pass it with
#   --cfg-options model.backbone.init_cfg.checkpoint=<checkpoint>
# (for the student, or a MoCo v3 / LoDisc ViT, set
# model.backbone.init_cfg.prefix=backbone.). The code decodes the keys of
# the last layer's first head (64-d) with 3x3 convolutions instead.
_base_ = './resnet50_upsample.py'
data_preprocessor = dict(size_divisor=8)  # inputs of 224 (or 96) px
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='mmpretrain.FrozenStagesViT',
        arch='deit-small',
        img_size=224,
        patch_size=8,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='',
            prefix='teacher.module.backbone.',
            strict=True)),
    # 3 x2 blocks: 8 px patches to pixels
    decode_head=dict(in_channels=384, up_channels=(256, 128, 64)))

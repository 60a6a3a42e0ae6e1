# The backbone of the synthetic-benchmark configs, sized for a 2-core CPU: a
# half-width ResNet-18 (256-d output) whose last stage keeps stride 1 (a 6x6
# map at 96 px, like ResNet-50's 7x7 at 224 px). It starts from the generic
# initialisation, the stand-in for ImageNet weights (supervised pre-training
# on the generic synthetic objects; `python tools/make_generic_init.py`
# makes and caches it). For random initialisation set
# `model.backbone.init_cfg=None`.
# Configs take it with `backbone=dict(_delete_=True, **_base_.cpu_backbone)`.
cpu_backbone = dict(
    type='ResNet',
    depth=18,
    stem_channels=32,
    base_channels=32,
    strides=(1, 2, 2, 1),
    norm_cfg=dict(type='BN'),
    zero_init_residual=False,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='generic://resnet18_cpu',
        prefix='backbone.',
        strict=True))

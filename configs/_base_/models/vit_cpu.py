# The ViT of the synthetic-benchmark configs, sized for a 2-core CPU: 4 layers
# of width 128 (4 heads), 8 px patches of the 96 px images (a 12x12 token
# grid), class token after the final norm. It starts from the generic
# initialisation, the stand-in for the ImageNet ViTs of the papers
# (supervised pre-training on the generic synthetic objects; `python
# tools/make_generic_init.py vit_cpu` makes and caches it). For random
# initialisation set `model.backbone.init_cfg=None`.
# Configs take it with `backbone=dict(_delete_=True, **_base_.cpu_vit)`.
cpu_vit = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512),
    img_size=96,
    patch_size=8,
    out_type='cls_token',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='generic://vit_cpu',
        prefix='backbone.',
        strict=True))

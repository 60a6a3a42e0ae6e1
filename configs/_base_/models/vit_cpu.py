# The ViT of the synthetic-benchmark configs, sized for a 2-core CPU: 4 layers
# of width 128 (4 heads), 8 px patches of the 96 px images (a 12x12 token
# grid; a convolutional stem embeds them), class token after the final
# norm. It starts from the generic
# initialisation, the stand-in for the ImageNet ViTs of the papers
# (pre-training on the generic synthetic objects with their labels and the
# generic ResNet's features; `python tools/make_generic_init.py vit_cpu`
# makes and caches it). For random
# initialisation set `model.backbone.init_cfg=None`.
# Configs take it with `backbone=dict(_delete_=True, **_base_.cpu_vit)`.
cpu_vit = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512),
    img_size=96,
    patch_size=8,
    # three stride-2 3x3 convolutions embed the patches (Xiao et al., 2021):
    # with the single 8x8 convolution of the papers' ViTs the CPU ViT learned
    # the generic objects too slowly for the budget
    patch_cfg=dict(conv_type='ConvStem'),
    out_type='cls_token',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='generic://vit_cpu',
        prefix='backbone.',
        strict=True))

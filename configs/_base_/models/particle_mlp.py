# The MLP of the PARTICLE code's projectors and predictors (DetCon-B and
# PARTICLE on the ResNet, the part branch of PARTICLE-ViT): Linear,
# LayerNorm, ReLU, Linear, with biases. Model configs set the channels:
# neck=dict(_base_._mlp, in_channels=..., hid_channels=..., out_channels=...).
_mlp = dict(
    type='NonLinearNeck',
    num_layers=2,
    with_bias=True,
    with_last_bn=False,
    with_last_bias=True,
    with_avg_pool=False,
    norm_cfg=dict(type='LN'))

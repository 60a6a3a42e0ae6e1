# DetCon-B as in the ResNet variant of the PARTICLE code: ResNet-50,
# projector 2048-4096-256 and predictor 256-4096-256 MLPs with LayerNorm,
# EMA target with constant tau = 0.996, 10 parts sampled per view, T = 0.1.
_mlp = dict(
    type='NonLinearNeck',
    num_layers=2,
    with_bias=True,
    with_last_bn=False,
    with_last_bias=True,
    with_avg_pool=False,
    norm_cfg=dict(type='LN'))
model = dict(
    type='DetCon',
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False,
        # PARTICLE starts from DetCon's ImageNet weights (resnet50_detcon.pth
        # from the authors); torchvision's ImageNet weights stand in here:
        # point the checkpoint at the DetCon file to reproduce the paper.
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(_mlp, in_channels=2048, hid_channels=4096, out_channels=256),
    predictor=dict(_mlp, in_channels=256, hid_channels=4096, out_channels=256),
    num_samples=10,
    temperature=0.1,
    momentum=0.004)  # mmengine EMA convention: tau = 0.996

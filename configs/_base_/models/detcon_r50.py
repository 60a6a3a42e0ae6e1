# DetCon-B as in the ResNet variant of the PARTICLE code: ResNet-50,
# projector 2048-4096-256 and predictor 256-4096-256 MLPs with LayerNorm,
# EMA target whose decay warms up to tau = 0.996 as the code's torch_ema
# (min(tau, (1+t)/(10+t))), 10 parts sampled per view, T = 0.1.
_base_ = './particle_mlp.py'
model = dict(
    type='DetCon',
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False,
        # PARTICLE starts from DetCon's ImageNet weights: the authors'
        # resnet50_detcon.pth, a torchvision-layout ResNet-50 state dict
        # (also accepted under 'state_dict'), loaded strictly. Place it at
        # checkpoints/resnet50_detcon.pth, or set
        # model.backbone.init_cfg.checkpoint=torchvision://resnet50 for
        # torchvision's supervised ImageNet weights instead.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/resnet50_detcon.pth',
            convert='torchvision_resnet',
            strict=True)),
    neck=dict(
        _base_._mlp, in_channels=2048, hid_channels=4096, out_channels=256),
    predictor=dict(
        _base_._mlp, in_channels=256, hid_channels=4096, out_channels=256),
    num_samples=10,
    temperature=0.1,
    momentum=0.004,  # mmengine EMA convention: tau = 0.996
    target_schedule='warmup')  # code: torch_ema warm-up; 'constant'/'cosine'

# SimSiam (mmpretrain's recipe) on LCR's ResNet-50 from torchvision's ImageNet
# weights: a 3-layer 2048-d projector (last BN without affine) and a
# 2048-512-2048 predictor, negative cosine loss, symmetrised. The backbone is
# the MoCo v2 base's (mocov2_r50.py, plain BN); the MLPs use SyncBN as
# mmpretrain's SimSiam (a single process falls back to plain BN).
_base_ = './mocov2_r50.py'
model = dict(
    _delete_=True,
    type='FGSimSiam',
    backbone=_base_.model.backbone,
    neck=dict(
        type='NonLinearNeck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=2048,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=2048,
            hid_channels=512,
            out_channels=2048,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True)))

# The supervised upper bound of the ViT methods: the CPU ViT from its generic
# initialisation, trained with the training split's labels at the ViT
# methods' budget and schedule (mocov3_synthetic.py's AdamW), evaluated on
# its class token.
_base_ = '../mocov3_synthetic.py'
model = dict(
    _delete_=True,
    backbone=_base_.cpu_vit,
    feature_dim=128,
    **_base_.supervised_baseline)
train_dataloader = dict(
    dataset=dict(pipeline=_base_.supervised_train_pipeline))

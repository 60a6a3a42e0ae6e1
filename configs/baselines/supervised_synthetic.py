# The supervised upper bound on the synthetic benchmark: the synthetic
# configs' backbone from the same generic initialisation, trained with the
# training split's labels at the same budget (schedule, batch, epochs) and
# evaluated by the same protocols on its pooled backbone feature.
_base_ = '../mocov2_synthetic.py'
model = dict(
    _delete_=True,
    backbone=_base_.cpu_backbone,
    feature_dim=256,
    **_base_.supervised_baseline)
train_dataloader = dict(
    dataset=dict(pipeline=_base_.supervised_train_pipeline))

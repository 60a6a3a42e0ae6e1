# The supervised upper bound on the synthetic benchmark: the synthetic
# configs' backbone from the same generic initialisation, trained with the
# training split's labels at the same budget (400 steps of batch 32) and
# evaluated by the same protocols on its pooled backbone feature.
_base_ = '../mocov2_synthetic.py'
model = dict(
    _delete_=True,
    backbone=_base_.cpu_backbone,
    feature_dim=256,
    **_base_.supervised_baseline)
train_dataloader = dict(
    dataset=dict(pipeline=_base_.supervised_train_pipeline))
# It learns from labels, so the validation images are left out (or the
# checkpoint would be selected on images it was trained to classify), and
# 25 epochs of the remaining 512 images keep the budget's 400 steps.
exclude_validation_images = True
kept_fraction = 1 - _base_.val_dataloader.dataset.query.holdout_fraction
epochs = round(_base_.budget_epochs / kept_fraction)
param_scheduler = [dict(_base_.param_scheduler[0], T_max=epochs, end=epochs)]
train_cfg = dict(max_epochs=epochs)
# The recipe is this project's choice on the validation split (best mAP
# of 400 steps, seed 0, on the benchmark's previous 1.4-times beaks): lr
# 0.03 with crops of (0.35, 1) of the area 54.1; lr 0.1 with crops of
# (0.7, 1) 59.3, of (0.85, 1) 56.6, flips only 59.3 (its kNN 64.1 against
# 57.0 for the (0.7, 1) crops).
optim_wrapper = dict(optimizer=dict(lr=0.1))

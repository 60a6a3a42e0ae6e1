# The synthetic benchmark's schedule for the ResNet methods: the budget of
# cpu_budget.py with the LCR/MoCo v2 optimiser (SGD 0.03, momentum 0.9, wd
# 1e-4, per-epoch cosine), online evaluation every 10 epochs.
_base_ = ['./sgd_coslr_100e.py', './cpu_budget.py']
budget_epochs = _base_.budget_epochs
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=budget_epochs,
        by_epoch=True,
        begin=0,
        end=budget_epochs)
]
train_cfg = dict(max_epochs=budget_epochs, val_interval=10)

# The synthetic benchmark's schedule for the ViT methods: the budget of
# cpu_budget.py with AdamW lr 5e-4 (batch 32) and weight decay 0.1, as MoCo
# v3 trains small ViTs (the LoDisc code's lr 1.25e-4 and decay 0.5 fine-tune
# ViT-B/16), cosine per iteration, evaluation every 10 epochs.
_base_ = ['./adamw_coslr_100e.py', './cpu_budget.py']
budget_epochs = _base_.budget_epochs
optim_wrapper = dict(optimizer=dict(lr=5e-4, weight_decay=0.1))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=budget_epochs,
        by_epoch=True,
        begin=0,
        end=budget_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=budget_epochs, val_interval=10)

# The synthetic benchmark's budget, shared by every method: the LCR/MoCo v2
# optimiser (SGD 0.03, momentum 0.9, wd 1e-4) for 40 epochs of cosine decay,
# online evaluation every 10 epochs.
_base_ = './sgd_coslr_100e.py'
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=40, by_epoch=True, begin=0, end=40)
]
train_cfg = dict(max_epochs=40, val_interval=10)

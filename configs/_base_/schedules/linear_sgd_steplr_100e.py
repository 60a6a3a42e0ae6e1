# Linear probe of the LCR code (main_lincls.py): SGD lr 30, momentum 0.9,
# weight decay 0, batch 256, 100 epochs, lr x0.1 at epochs 60 and 80.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
]
# One evaluation on the test split, after the last epoch: the accuracy is
# reported, never used to pick an epoch.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=256)

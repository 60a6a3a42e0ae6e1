# PARTICLE code: SGD lr 0.005 (batch 320), momentum 0.9, weight decay
# 1.5e-6, cosine per iteration, 600 epochs. (The code computes a 10-epoch
# warm-up but never applies it; no warm-up here.)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=1.5e-6))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=600,
        by_epoch=True,
        begin=0,
        end=600,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=600, val_interval=50)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=320)

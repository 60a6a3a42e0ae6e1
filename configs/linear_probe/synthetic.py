# Linear probe on the synthetic benchmark, CPU-sized: batch 64 with the lr
# scaled linearly from LCR's 30 at batch 256, and LCR's schedule halved
# (50 epochs, lr x0.1 at 30 and 40).
# Usage:
#   python tools/train.py configs/linear_probe/synthetic.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
_base_ = [
    '../_base_/datasets/fgvc_linear_224.py',
    '../_base_/models/linear_probe.py',
    '../_base_/schedules/linear_sgd_steplr_100e.py',
    '../_base_/linear_runtime.py',
]
data_root = 'data/synthetic_birds/'
dataset = dict(
    type='CUB', data_root=data_root, classes=data_root + 'classes.txt')
model = dict(head=dict(num_classes=16, in_channels=256))
optim_wrapper = dict(optimizer=dict(lr=7.5))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[30, 40], gamma=0.1)
]
train_cfg = dict(max_epochs=50, val_interval=50)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=96, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(dataset, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(dataset, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=5))

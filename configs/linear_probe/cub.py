# Linear probe on cub: usage
#   python tools/train.py configs/linear_probe/cub.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
_base_ = [
    '../_base_/datasets/fgvc_linear_224.py',
    '../_base_/models/linear_probe.py',
    '../_base_/schedules/linear_sgd_steplr_100e.py',
    '../_base_/linear_runtime.py',
]
data_root = 'data/CUB_200_2011/'
model = dict(head=dict(num_classes=200))
train_dataloader = dict(
    dataset=dict(type='CUB', data_root=data_root, split='train'))
val_dataloader = dict(
    dataset=dict(type='CUB', data_root=data_root, split='test'))
test_dataloader = val_dataloader

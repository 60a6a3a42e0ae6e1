# Linear probe on aircraft: usage
#   python tools/train.py configs/linear_probe/aircraft.py \
#       --cfg-options model.backbone.checkpoint=<self-supervised checkpoint>
_base_ = [
    '../_base_/datasets/fgvc_linear_224.py',
    '../_base_/models/linear_probe.py',
    '../_base_/schedules/linear_sgd_steplr_100e.py',
    '../_base_/linear_runtime.py',
]
data_root = 'data/fgvc-aircraft-2013b/'
model = dict(head=dict(num_classes=100))
train_dataloader = dict(
    dataset=dict(type='FGVCAircraft', data_root=data_root, split='trainval'))
val_dataloader = dict(
    dataset=dict(type='FGVCAircraft', data_root=data_root, split='test'))
test_dataloader = val_dataloader

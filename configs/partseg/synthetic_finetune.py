# Few-shot (20-shot) part segmentation on the embedded synthetic benchmark,
# CPU-sized: the synthetic configs' half-width ResNet-18 (output stride 16)
# fine-tuned with the upsampling decoder. From random-initialised
# self-supervised training 200 epochs at lr 1e-5 would barely move the
# decoder: 100 epochs at Adam 1e-4, a checkpoint every 20 epochs.
#   python tools/partseg_protocol.py configs/partseg/synthetic_finetune.py \
#       work_dirs/mocov2_synthetic/epoch_40.pth
_base_ = [
    './_base_/datasets/synthetic_parts.py',
    './_base_/models/resnet50_upsample.py',
    '../_base_/models/resnet18_cpu.py',
    './_base_/schedules/adam_200e.py',
    './_base_/partseg_runtime.py',
]
model = dict(
    backbone=dict(_base_.cpu_backbone, type='mmpretrain.ResNet'),
    decode_head=dict(
        in_channels=256, up_channels=(128, 64, 32, 32), num_classes=8))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
train_cfg = dict(max_epochs=100)
default_hooks = dict(checkpoint=dict(interval=20))

# Few-shot (20-shot) part segmentation on the embedded synthetic benchmark
# with the CPU ViT of the synthetic DINO and PARTICLE-ViT configs (their
# teacher; synthetic_vit_finetune_backbone.py for MoCo v3 and LoDisc): its
# 12x12 patch-token map and three x2 upsampling blocks to 96 px, fine-tuned
# with the budget of synthetic_finetune.py (Adam 3e-3, 150 epochs, a
# checkpoint every 50 epochs).
#   python tools/partseg_protocol.py \
#       configs/partseg/synthetic_vit_finetune.py \
#       work_dirs/particle_vit_synthetic/epoch_30.pth
_base_ = [
    './_base_/datasets/synthetic_parts.py',
    './_base_/models/vits8_upsample.py',
    '../_base_/models/vit_cpu.py',
    './_base_/schedules/adam_200e.py',
    './_base_/partseg_runtime.py',
]
model = dict(
    backbone=dict(
        _base_.cpu_vit,
        _delete_=True,
        type='mmpretrain.FrozenStagesViT',
        out_type='featmap',
        init_cfg=_base_.model.backbone.init_cfg),
    decode_head=dict(in_channels=128, up_channels=(64, 32, 32), num_classes=8))
optim_wrapper = dict(optimizer=dict(lr=3e-3))
train_cfg = dict(max_epochs=150)
default_hooks = dict(checkpoint=dict(interval=50))

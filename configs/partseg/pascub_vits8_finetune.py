# Few-shot part segmentation on PASCUB birds (11 classes incl.
# background) with a ViT-S/8 backbone (DINO,
# PARTICLE-ViT checkpoints), the PARTICLE code's setting: the whole network
# fine-tuned from the checkpoint's teacher ViT, upsampling decoder to full
# resolution, Adam 1e-5, batch 8, 200 epochs. Protocol:
#   python tools/partseg_protocol.py \
#       configs/partseg/pascub_vits8_finetune.py CKPT --shots K
_base_ = [
    './_base_/datasets/pascub.py',
    './_base_/models/vits8_upsample.py',
    './_base_/schedules/adam_200e.py',
    './_base_/partseg_runtime.py',
]
model = dict(decode_head=dict(num_classes=11))

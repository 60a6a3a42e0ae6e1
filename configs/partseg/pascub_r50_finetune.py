# Few-shot part segmentation on PASCUB birds (11 classes incl.
# background), the PARTICLE paper's setting:
# the whole network fine-tuned from a self-supervised ResNet-50, upsampling
# decoder to full resolution, Adam 1e-5, batch 8, 200 epochs. Protocol:
#   python tools/partseg_protocol.py \
#       configs/partseg/pascub_r50_finetune.py CKPT --shots K
_base_ = [
    './_base_/datasets/pascub.py',
    './_base_/models/resnet50_upsample.py',
    './_base_/schedules/adam_200e.py',
    './_base_/partseg_runtime.py',
]
model = dict(decode_head=dict(num_classes=11))

# DINO ViT-S/8 on cub in the PARTICLE code's ViT setting: the baseline of
# particle_vit_cub.py, the same model and recipe without the part loss
# (DINO's released ViT-S/8, new head, 2 global crops at 224 with PARTICLE's
# augmentation, AdamW lr 2.5e-8 with 10-epoch warm-up, weight decay 0.4,
# per-tensor gradient clip 3.0, drop path 0.1, 100 epochs, batch 64).
_base_ = [
    './_base_/datasets/cub.py',
    './_base_/datasets/pipelines/dino_224.py',
    './_base_/models/dino_vit_s8.py',
    './_base_/schedules/adamw_particle_vit_100e.py',
    './_base_/dino_runtime.py',
]
# The code's 8 images per GPU on 8 GPUs; with N GPUs set batch_size=64 // N.
train_dataloader = dict(
    batch_size=64, dataset=dict(pipeline=_base_.dino_train_pipeline))

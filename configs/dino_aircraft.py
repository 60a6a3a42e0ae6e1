# DINO ViT-S/8 on aircraft in the PARTICLE code's ViT setting: the baseline
# of particle_vit_aircraft.py (see dino_cub.py), pre-trained on the
# OID-Aircraft training images as the code (train_oid.txt, 21 px banner cut
# off) and evaluated on FGVC-Aircraft.
_base_ = [
    './_base_/datasets/aircraft.py',
    './_base_/datasets/pipelines/dino_224.py',
    './_base_/models/dino_vit_s8.py',
    './_base_/schedules/adamw_particle_vit_100e.py',
    './_base_/dino_runtime.py',
]
# The code's 8 images per GPU on 8 GPUs; with N GPUs set batch_size=64 // N.
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        _delete_=True,
        type='OIDAircraftImages',
        data_root='data/oid-aircraft-beta-1/',
        ann_file='train_oid.txt',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='CutBanner', height=21),
            *_base_.dino_train_pipeline[1:],
        ]))

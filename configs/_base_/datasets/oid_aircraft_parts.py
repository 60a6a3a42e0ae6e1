# Part-contrastive pre-training on aircraft as the PARTICLE code does it: on
# the OID-Aircraft training list (train_oid.txt, 3,701 images, photo-credit
# banner of 21 px cut off), not on FGVC-Aircraft; parts are discovered on
# the same banner-less images. Online validation (held-out FGVC trainval
# images with their labels) and testing (FGVC test, FGVC trainval as the kNN
# memory) use FGVC-Aircraft, as in aircraft.py.
_base_ = ['./aircraft.py', './pipelines/parts_224.py']
oid_root = 'data/oid-aircraft-beta-1/'
# PARTICLE trains with a global batch of 320; with N GPUs set 320 // N.
train_dataloader = dict(
    batch_size=320,
    dataset=dict(
        _delete_=True,
        type='PartMapDataset',
        dataset=dict(
            type='OIDAircraftImages',
            data_root=oid_root,
            ann_file='train_oid.txt'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='CutBanner', height=21),
            *_base_.part_train_pipeline[1:],
        ]))

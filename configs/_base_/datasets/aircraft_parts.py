# aircraft with a part map per training image (written by PartMapHook) and the
# paired-view pipeline of part-contrastive methods (DetCon, PARTICLE).
_base_ = ['./aircraft.py', './pipelines/parts_224.py']
# PARTICLE trains with a global batch of 320; with N GPUs set 320 // N.
train_dataloader = dict(
    batch_size=320,
    dataset=dict(
        _delete_=True,
        type='PartMapDataset',
        dataset={{_base_.train_set}},
        pipeline={{_base_.part_train_pipeline}}))

# What the few-shot part-segmentation data sets share (pascub.py,
# oid_aircraft.py and synthetic_parts.py fill in the data, the loading steps
# and the input size): the PARTICLE code's training colour jitter (p=0.5),
# batches of 8, the test split scored in 5 folds.
part_colour_jitter = dict(
    type='RandomApply',
    transforms=[
        dict(
            type='mmpretrain.ColorJitter',
            brightness=0.2,
            contrast=0.2,
            saturation=0.2)
    ],
    prob=0.5)
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True))
test_dataloader = dict(
    batch_size=8,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='FewShotPartIoU', num_folds=5)

# The embedded synthetic fine-grained benchmark (tools/make_synthetic.py):
# 16 bird classes told apart only by beak, wing bars, crest and eye ring;
# 640 train / 640 test images of 96 px, in the CUB-200-2011 layout.
# Same protocol as the real datasets, sized for a CPU.
_base_ = './fgvc_mocov2_224.py'
data_root = 'data/synthetic_birds/'
train_set = dict(
    type='CUB',
    data_root=data_root,
    split='train',
    classes=data_root + 'classes.txt')
test_set = dict(train_set, split='test')

# fgvc_mocov2_224.py's MoCo v2 views at the benchmark's image size, with the
# blur sigma range scaled from 224 px to it
image_size = 96
view_pipeline = [
    dict(t, scale=image_size) if t['type'] == 'RandomResizedCrop' else
    dict(t, magnitude_range=(0.1, 2.0 * image_size / 224))
    if t['type'] == 'GaussianBlur' else t for t in _base_.view_pipeline
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
# The supervised baselines (configs/baselines/supervised*_synthetic.py): a
# classifier over the 16 classes, trained on one randomly flipped view, not
# the SSL views. No crops: this project's choice on the validation split
# (supervised_synthetic.py); a crop can cut out the deciding parts.
supervised_baseline = dict(type='SupervisedBaseline', num_classes=16)
supervised_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
# The birds may sit near the border: evaluate on the whole 96 px image.
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(train_set, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        pipeline=test_pipeline,
        query=dict(
            type='HoldoutSplit',
            dataset=train_set,
            part='holdout',
            holdout_fraction=0.2),
        memory=dict(
            type='HoldoutSplit',
            dataset=train_set,
            part='rest',
            holdout_fraction=0.2)))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(pipeline=test_pipeline, query=test_set, memory=train_set))

# What tools/run_protocol.py evaluates a synthetic checkpoint with, besides
# retrieval and kNN: PARTICLE's logistic-regression probe (seconds, against
# minutes for LCR's SGD probe, configs/linear_probe/synthetic.py) and 20-shot
# part segmentation on the frozen backbone (ViT configs name their ViT
# part-segmentation config). Frozen is this project's choice: PARTICLE
# fine-tunes the whole network (synthetic_finetune.py), and fine-tuned, random
# weights reached the mIoU of every pre-trained row (README, The results).
protocol = dict(
    linear='configs/linear_probe/particle_synthetic.py',
    partseg='configs/partseg/synthetic_frozen.py')

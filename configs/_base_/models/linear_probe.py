# A linear classifier on the frozen test-time representation of a
# self-supervised checkpoint (rationale-pooled for LCR, GAP for MoCo v2, ...).
# The algorithm is rebuilt from the config stored in the checkpoint; pass it
# with --cfg-options model.backbone.checkpoint=<pre-training checkpoint>.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SelfSupFeature', checkpoint=''),
    head=dict(
        type='LinearClsHead',
        num_classes=200,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, 5),
        # LCR's classifier: weights N(0, 0.01), bias 0
        init_cfg=dict(type='Normal', layer='Linear', std=0.01)))

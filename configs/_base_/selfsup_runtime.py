# Runtime of self-supervised pre-training: online evaluation keeps the
# checkpoint that is best on the validation split (held out from training
# data), so model selection never looks at the test split.
_base_ = './default_runtime.py'
default_hooks = dict(
    checkpoint=dict(save_best='retrieval/mAP', rule='greater'))

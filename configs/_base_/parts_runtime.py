# Runtime of part-contrastive pre-training (DetCon, PARTICLE): the
# self-supervised runtime plus the hook that writes the part maps the model
# discovers (once, or every `model.epochs_per_round` epochs).
_base_ = './selfsup_runtime.py'
custom_hooks = [dict(type='IterationSeedHook'), dict(type='PartMapHook')]

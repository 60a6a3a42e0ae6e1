# Runtime of PARTICLE-ViT pre-training: the part-contrastive runtime (part
# maps discovered by the model, once or every model.epochs_per_round epochs)
# plus the DINO code's gradient handling (dino_runtime.py).
_base_ = './parts_runtime.py'
custom_hooks = [
    dict(type='IterationSeedHook'),
    dict(type='PartMapHook'),
    dict(type='DINOGradientHook', clip_per_tensor=3.0)
]

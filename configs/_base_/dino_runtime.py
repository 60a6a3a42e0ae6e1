# Runtime of DINO pre-training: the self-supervised runtime plus the DINO
# code's gradient handling (each tensor's gradient norm clipped to 3.0, the
# head's last layer frozen for model.freeze_last_layer epochs).
_base_ = './selfsup_runtime.py'
custom_hooks = [
    dict(type='IterationSeedHook'),
    dict(type='DINOGradientHook', clip_per_tensor=3.0)
]

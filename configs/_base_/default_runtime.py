# Runtime shared by every pre-training and evaluation config.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmfgssl'], allow_failed_imports=False)
# mmengine's Runner with strict checkpoint loading, atomic checkpoint writes,
# the model config stored as plain data and per-epoch worker seeds
# (mmfgssl/engine/runner.py).
runner_type = 'FGRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # a new best checkpoint is written before the previous one is deleted
    checkpoint=dict(type='SafeCheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)

# Random numbers drawn in a training iteration depend only on (seed,
# iteration), so --resume reproduces an uninterrupted run.
custom_hooks = [dict(type='IterationSeedHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # mmfgssl switches to gloo when no GPU is present (mmfgssl.compat).
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

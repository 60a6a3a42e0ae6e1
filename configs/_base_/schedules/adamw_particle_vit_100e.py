# The PARTICLE code's ViT schedule (train_particle_vit.py with DINO's
# cosine_scheduler), for its global batch of 64 (8 per GPU x 8 GPUs): AdamW
# at lr 1e-7 x 64 / 256 = 2.5e-8 after a 10-epoch linear warm-up from 0
# (applied here as in the code's ViT script; its ResNet script computes a
# warm-up and never applies it), then a per-iteration cosine to 1e-8;
# weight decay 0.4, constant (its schedule 0.4 -> 0.4), on every parameter
# (the code's 3 groups, transformer / projector / predictor, share one
# schedule: one group here). Gradient clipping (3.0 per tensor) is in
# DINOGradientHook. Switches:
#   lr: the code's value (an AdamW step moves a weight by about the lr,
#       so ~1.6e-4 summed over the 9,300 steps of a CUB run, against ViT
#       weights of typical size 2e-2); DINO's own lr is 5e-4 x 64 / 256:
#       --cfg-options optim_wrapper.optimizer.lr=1.25e-4
#   DINO does not decay norms and biases (all 1-d parameters); the code
#       does: --cfg-options optim_wrapper.paramwise_cfg.flat_decay_mult=0.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-7 * 64 / 256, weight_decay=0.4))
param_scheduler = [
    # the code's warm-up starts at 0; mmengine's LinearLR needs a factor > 0
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=90,
        eta_min=1e-8,
        by_epoch=True,
        begin=10,
        end=100,
        convert_to_iter_based=True)
]
# Online retrieval/kNN on the held-out part of the training split.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# --auto-scale-lr scales linearly from the batch the lr above is set for.
auto_scale_lr = dict(base_batch_size=64)

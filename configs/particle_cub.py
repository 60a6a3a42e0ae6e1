# PARTICLE (ICCV-W 2023) on cub: parts discovered by clustering the
# model's hypercolumns (K=15, 64x64 grid) and DetCon-B part contrast,
# alternated for 2 rounds of 300 epochs (the code runs one 600-epoch round;
# the paper iterates; set epochs_per_round to change the number of rounds).
_base_ = [
    './_base_/datasets/cub_parts.py',
    './_base_/models/detcon_r50.py',
    './_base_/schedules/sgd_coslr_600e_parts.py',
    './_base_/selfsup_runtime.py',
]
model = dict(
    type='PARTICLE', num_parts=15, discovery_size=224, discovery_grid=64)
custom_hooks = [
    dict(type='IterationSeedHook'),
    dict(type='PartMapHook', epochs_per_round=300),
]

# DetCon-B on cub with Felzenszwalb masks: PARTICLE's baseline and
# initialisation, trained with PARTICLE's recipe (ResNet-50, SGD 0.005,
# wd 1.5e-6, EMA 0.996, 10 parts sampled per view, batch 320, 600 epochs).
_base_ = [
    './_base_/datasets/cub_parts.py',
    './_base_/models/detcon_r50.py',
    './_base_/schedules/sgd_coslr_600e_parts.py',
    './_base_/parts_runtime.py',
]

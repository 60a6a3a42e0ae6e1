# MoCo v2 baseline in the LCR paper's setting (ResNet-50 from ImageNet
# weights, 224 px, batch 128, SGD 0.03 cosine, 100 epochs).
_base_ = [
    './_base_/datasets/cars.py',
    './_base_/models/mocov2_r50.py',
    './_base_/schedules/sgd_coslr_100e.py',
    './_base_/selfsup_runtime.py',
]

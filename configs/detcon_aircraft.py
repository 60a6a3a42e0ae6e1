# DetCon-B with Felzenszwalb masks on aircraft: PARTICLE's baseline and
# initialisation, trained with PARTICLE's recipe (ResNet-50, SGD 0.005,
# wd 1.5e-6, EMA 0.996, 10 parts sampled per view, batch 320, 600 epochs) on
# the OID-Aircraft images, as the official code (train_oid.txt), and
# evaluated on FGVC-Aircraft.
_base_ = [
    './_base_/datasets/oid_aircraft_parts.py',
    './_base_/models/detcon_r50.py',
    './_base_/schedules/sgd_coslr_600e_parts.py',
    './_base_/parts_runtime.py',
]

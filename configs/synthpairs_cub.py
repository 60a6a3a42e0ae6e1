# SynthPairs (ECCV 2024) in LCR's setting: mocov2_cub.py (ResNet-50 from
# ImageNet weights, 224 px, queue 65536, m=0.999, T=0.2, batch 128, SGD 0.03
# cosine, 100 epochs) plus the decoder to 112 px and the synthesized pairs;
# the defaults the paper leaves open are in configs/_base_/models/
# synthpairs.py. Switches: mmfgssl/models/selfsup/
# synthpairs.py.
_base_ = ['./mocov2_cub.py', './_base_/models/synthpairs.py']
model = dict(type='SynthPairs', **_base_.synthpairs_r50)

# SynthPairs (ECCV 2024) on the embedded synthetic benchmark:
# mocov2_synthetic.py (CPU backbone, same budget and seed) plus the decoder
# to 48 px and the synthesized pairs; the defaults the paper leaves open are
# in configs/_base_/models/synthpairs.py.
_base_ = ['./mocov2_synthetic.py', './_base_/models/synthpairs.py']
model = dict(type='SynthPairs', **_base_.synthpairs_cpu)

# SynthPairs (ECCV 2024) on the SimSiam base on the embedded synthetic
# benchmark: simsiam_synthetic.py plus the decoder to 48 px and the
# synthesized pairs; the defaults the paper leaves open are in
# configs/_base_/models/synthpairs.py.
_base_ = ['./simsiam_synthetic.py', './_base_/models/synthpairs.py']
model = dict(type='SynthPairsSimSiam', **_base_.synthpairs_cpu)

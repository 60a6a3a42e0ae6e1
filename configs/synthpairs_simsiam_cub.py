# SynthPairs (ECCV 2024) on the SimSiam base in LCR's setting: simsiam_cub.py
# plus the decoder to 112 px and the synthesized pairs (L_Cp is SimSiam's
# symmetric loss of the two decodings); the defaults the paper leaves open
# are in configs/_base_/models/synthpairs.py.
_base_ = ['./simsiam_cub.py', './_base_/models/synthpairs.py']
model = dict(type='SynthPairsSimSiam', **_base_.synthpairs_r50)

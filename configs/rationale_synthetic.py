# LCR on the embedded synthetic benchmark: mocov2_synthetic.py (CPU-sized
# backbone, same budget and seed) plus the rationale branch with the official
# code's defaults.
_base_ = './mocov2_synthetic.py'
model = dict(
    type='LCR', rationale_branch=dict(type='RationaleBranch', in_channels=256))

# LoDisc on the embedded synthetic benchmark: mocov3_synthetic.py plus the
# local branch with the official code's defaults (top 30 % of the 12x12
# patches of the CPU ViT, product fusion, masked pixels zeroed).
_base_ = './mocov3_synthetic.py'
model = dict(
    type='LoDisc',
    keep_ratio=0.3,
    attention_fusion='product',
    mask_mode='zero')

# The LoDisc code's linear probe (main_lincls.py) of a MoCo v3 / LoDisc ViT
# checkpoint, for configs/linear_probe/*_vit.py: the frozen class token after
# the final norm (not the retrieval feature, and not L2-normalised), SGD
# lr 0.5 at batch 256, momentum 0.9, no weight decay, 100 epochs of cosine
# (per epoch).
vit_probe_backbone = dict(
    normalize=False, algorithm_overrides=dict(test_feature='cls'))
vit_probe_lr = 0.5
vit_probe_scheduler = [
    dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
]

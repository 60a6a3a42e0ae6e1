# Baseline of the ViT methods: the generic initialisation of the CPU ViT
# evaluated as it is, without pre-training on the benchmark (0 epochs), on its
# class token (MoCo v3's retrieval feature is its predictor's output, which
# is random before training).
_base_ = '../mocov3_synthetic.py'
model = dict(test_feature='cls')
train_cfg = dict(max_epochs=0)

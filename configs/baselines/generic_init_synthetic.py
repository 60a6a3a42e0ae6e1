# Baseline: the generic initialisation evaluated as it is, without any
# pre-training on the benchmark (the papers' "ImageNet" row): 0 epochs, so
# tools/train.py saves the initialised model as epoch_0.pth and the shared
# protocols evaluate its pooled backbone feature.
_base_ = '../mocov2_synthetic.py'
train_cfg = dict(max_epochs=0)

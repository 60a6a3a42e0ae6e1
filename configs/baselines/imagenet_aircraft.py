# The "ImageNet" row of the LCR paper: torchvision's supervised ImageNet
# ResNet-50 evaluated as it is, with no training on aircraft (0 epochs:
# tools/train.py saves the initialised model as epoch_0.pth).
_base_ = '../mocov2_aircraft.py'
train_cfg = dict(max_epochs=0)

# The DetCon row of the PARTICLE paper: DetCon's ImageNet checkpoint evaluated
# as it is, with no training on aircraft (0 epochs: tools/train.py saves the
# initialised model as epoch_0.pth). Not to be confused with
# detcon_aircraft.py, DetCon-B trained on aircraft.
_base_ = '../detcon_aircraft.py'
train_cfg = dict(max_epochs=0)

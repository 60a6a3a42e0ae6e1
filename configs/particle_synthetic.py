# PARTICLE on the embedded synthetic benchmark: detcon_synthetic.py with
# parts discovered by clustering the model's hypercolumns (K=8 parts on a
# 24x24 grid of the 96 px image), re-discovered halfway through the
# budget (2 rounds).
_base_ = './detcon_synthetic.py'
model = dict(
    type='PARTICLE',
    num_parts=8,
    discovery_size=96,
    discovery_grid=24,
    epochs_per_round=_base_.budget_epochs // 2)

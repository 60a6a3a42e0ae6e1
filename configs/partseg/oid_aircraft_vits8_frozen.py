# Frozen-backbone probe: oid_aircraft_vits8_finetune.py with the
# checkpoint's ViT-S/8 frozen (all 12 layers and the final norm); only the
# decoder trains, with a larger lr (Adam 1e-3) since nothing pre-trained can
# be disturbed.
_base_ = './oid_aircraft_vits8_finetune.py'
model = dict(backbone=dict(frozen_stages=12))
optim_wrapper = dict(optimizer=dict(lr=1e-3))

# PARTICLE (ICCV-W 2023) on aircraft: detcon_aircraft.py (training on the
# OID-Aircraft images as the official code, evaluation on FGVC-Aircraft)
# with parts discovered by clustering the model's hypercolumns (K=15, 64x64
# grid) instead of Felzenszwalb segments, alternated with DetCon-B part
# contrast for 2 rounds of 300 epochs (the code runs one 600-epoch round;
# the paper iterates; set model.epochs_per_round to change the rounds).
_base_ = './detcon_aircraft.py'
model = dict(
    type='PARTICLE',
    num_parts=15,
    discovery_size=224,
    discovery_grid=64,
    epochs_per_round=300)

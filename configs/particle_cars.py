# PARTICLE (ICCV-W 2023) on cars: detcon_cars.py with parts
# discovered by clustering the model's hypercolumns (K=15, 64x64 grid)
# instead of Felzenszwalb segments, alternated with DetCon-B part contrast
# for 2 rounds of 300 epochs (the code runs one 600-epoch round; the paper
# iterates; set model.epochs_per_round to change the number of rounds).
_base_ = './detcon_cars.py'
model = dict(
    type='PARTICLE',
    num_parts=15,
    discovery_size=224,
    discovery_grid=64,
    epochs_per_round=300)

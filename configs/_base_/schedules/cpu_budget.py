# The synthetic benchmark's budget, one number for every method: 20 epochs,
# 400 steps of batch 32 over the 640 training images. The CPU schedules
# (sgd_coslr_cpu.py, adamw_coslr_cpu.py) and the configs whose schedule has
# other stages (PARTICLE's discovery rounds, DINO's temperature warm-up)
# derive theirs from `budget_epochs`.
budget_epochs = 20

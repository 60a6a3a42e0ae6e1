# The synthetic benchmark's budget, one number for every method: 20 epochs,
# 400 steps of batch 32 over the 640 training images. The CPU schedules
# (sgd_coslr_cpu.py, adamw_coslr_cpu.py) and the configs whose schedule has
# other stages (PARTICLE's discovery rounds, DINO's temperature warm-up)
# derive theirs from `budget_epochs`.
budget_epochs = 20
# DINO's teacher momentum, 0.996 annealed to 1 by a cosine, would leave
# exp(-0.004 x 400 / 2) = 45 % of the teacher at its initialisation after the
# budget's 400 steps; 1 - 8 / 400 = 0.98 leaves exp(-4) = 2 %, as MoCo v2's
# key encoder at 0.99 in mocov2_synthetic.py. Read by dino_synthetic.py and
# particle_vit_synthetic.py.
budget_steps = budget_epochs * 640 // 32
teacher_base_momentum = 8 / budget_steps

# PARTICLE-ViT (the DINO ViT-S/8 variant of PARTICLE) on aircraft, trained
# on the OID-Aircraft images as the code (evaluated on FGVC-Aircraft):
# DINO on the class token plus DetCon-B on the patch tokens pooled per part,
# parts from k-means of the teacher's last-layer keys (6 per image), in the
# official recipe (dino_aircraft.py plus the part loss 1:1), with parts
# re-discovered after 50 of the 100 epochs (the code discovers once; the
# paper iterates; set model.epochs_per_round to change the rounds).
_base_ = [
    './_base_/datasets/oid_aircraft_parts.py',
    './_base_/models/particle_vit_s8.py',
    './_base_/schedules/adamw_particle_vit_100e.py',
    './_base_/particle_vit_runtime.py',
]
model = dict(epochs_per_round=50)
# The code's 8 images per GPU on 8 GPUs; with N GPUs set batch_size=64 // N.
train_dataloader = dict(batch_size=64)

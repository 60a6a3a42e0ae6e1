# LoDisc in the official code's setting: mocov3_cars.py plus the
# local branch (the momentum key of the other view with only its
# top 30 % patches by the product of the momentum encoder's
# class-token attention over all layers).
# Switches: mmfgssl/models/selfsup/lodisc.py.
_base_ = './mocov3_cars.py'
model = dict(
    type='LoDisc',
    keep_ratio=0.3,  # the code keeps int(0.3 * 196) = 58 patches
    attention_fusion='product',  # the code's product; or 'rollout'
    mask_mode='zero')  # the code zeroes pixels; 'drop': drop tokens (MAE)

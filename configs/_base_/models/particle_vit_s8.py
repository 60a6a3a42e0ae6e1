# PARTICLE-ViT as the official code (train_particle_vit.py): DINO ViT-S/8
# (dino_vit_s8.py) plus the DetCon-B part loss on the patch tokens pooled per
# part: projector MLP(384, 2048, 256) with LayerNorm (inside the ViT in the
# code, so the teacher averages it) and predictor MLP(256, 2048, 256) online
# only, 6 part ids sampled per view, T = 0.1, losses 1:1; parts from k-means
# of the teacher's last-layer keys. See mmfgssl/models/selfsup/particle_vit.py.
_base_ = ['./dino_vit_s8.py', './particle_mlp.py']
model = dict(
    type='PARTICLEViT',
    backbone=dict(out_type='raw'),  # class and patch tokens from one pass
    neck=dict(
        _base_._mlp,
        in_channels=384,
        hid_channels=2048,
        out_channels=256,
        # part of the code's ViT: its truncated-normal init
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.)),
    predictor=dict(
        _base_._mlp,
        in_channels=256,
        hid_channels=2048,
        out_channels=256,
        # the code's init_weights: kaiming_uniform_, bias 0.01
        init_cfg=dict(
            type='Kaiming',
            layer='Linear',
            mode='fan_in',
            nonlinearity='leaky_relu',
            distribution='uniform',
            bias=0.01)),
    num_parts=6,  # the code's clusters: background + 5 parts
    num_samples=6,  # the code's MaskPooling(num_samples=6)
    part_temperature=0.1,
    part_loss_weight=1.,  # L = L_DINO + L_part, as the code
    ignore_empty_parts=True,  # the code contrasts empty parts' zero vectors
    gather_targets=False,  # the code: negatives from the GPU's own batch
    discovery_size=224,
    discovery_features='key',  # the code's facet; 'tokens': final tokens
    epochs_per_round=None)  # the code discovers once

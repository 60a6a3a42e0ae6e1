# DINO ViT-S/8 as the PARTICLE code trains it (train_particle_vit.py, DINO's
# main_dino.py): the backbone from DINO's released ViT-S/8 (official key
# layout, converted and loaded strictly), stochastic depth 0.1 in the student
# (none in the teacher), a new DINO head 384-2048-2048-256-65536 without
# fixed prototype norms, teacher momentum 0.996 cosine to 1, student
# temperature 0.1, teacher temperature 0.04 -> 0.07 over 20 epochs, centre
# momentum 0.9, last layer frozen in the first epoch. See
# mmfgssl/models/selfsup/dino.py for the switches.
model = dict(
    type='DINO',
    backbone=dict(
        type='VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=8,
        drop_path_rate=0.1,
        out_type='cls_token',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/dino/'
            'dino_deitsmall8_pretrain/dino_deitsmall8_pretrain.pth',
            convert='dino_vit',
            strict=True)),
    head=dict(
        type='DINOHead',
        in_channels=384,
        hid_channels=2048,
        bottleneck_channels=256,
        out_channels=65536,
        num_layers=3,
        norm_last_layer=False),  # the code's; DINO's default is True
    base_momentum=0.004,  # mmengine EMA convention: 1 - m, m = 0.996
    end_momentum=0.,  # m annealed to 1
    student_temperature=0.1,
    warmup_teacher_temperature=0.04,
    teacher_temperature=0.07,
    teacher_temperature_warmup_epochs=20,  # the code; DINO's default: 30
    center_momentum=0.9,
    freeze_last_layer=1)  # epochs (DINOGradientHook)

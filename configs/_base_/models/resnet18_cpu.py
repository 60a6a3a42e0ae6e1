# The backbone of the synthetic-benchmark configs, sized for a 2-core CPU: a
# half-width ResNet-18 (256-d output) from random initialisation whose last
# stage keeps stride 1 (a 6x6 map at 96 px, like ResNet-50's 7x7 at 224 px).
# Configs take it with `backbone=dict(_delete_=True, **_base_.cpu_backbone)`.
cpu_backbone = dict(
    type='ResNet',
    depth=18,
    stem_channels=32,
    base_channels=32,
    strides=(1, 2, 2, 1),
    norm_cfg=dict(type='BN'))

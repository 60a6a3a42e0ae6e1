"""Per-pixel hypercolumn features of a ResNet, for part discovery."""
from typing import Sequence

import torch
import torch.nn.functional as F

RESNET_STAGES = ('stem', 'layer1', 'layer2', 'layer3', 'layer4')


def resnet_hypercolumns(backbone,
                        images: torch.Tensor,
                        stages: Sequence[str] = ('stem', 'layer1', 'layer2',
                                                 'layer3'),
                        grid: int = 64) -> torch.Tensor:
    """Hypercolumns of an mmpretrain ``ResNet``: the outputs of ``stages``
    (``'stem'`` is the max-pooled stem), each bilinearly resized to
    ``grid x grid`` and L2-normalised over channels, concatenated.

    The default is what the PARTICLE code meant to cluster (layer3, layer2,
    layer1 and the stem: 1856 channels for ResNet-50).

    Returns:
        ``(N, sum of stage channels, grid, grid)``.
    """
    unknown = set(stages) - set(RESNET_STAGES)
    if unknown:
        raise ValueError(f'unknown ResNet stages {sorted(unknown)}; use '
                         f'{RESNET_STAGES}')
    if backbone.deep_stem:
        x = backbone.stem(images)
    else:
        x = backbone.relu(backbone.norm1(backbone.conv1(images)))
    outputs = {'stem': backbone.maxpool(x)}
    x = outputs['stem']
    last = max(RESNET_STAGES.index(s) for s in stages)
    for i, name in enumerate(backbone.res_layers[:last]):
        x = getattr(backbone, name)(x)
        outputs[RESNET_STAGES[i + 1]] = x
    return torch.cat([
        F.normalize(
            F.interpolate(
                outputs[s],
                size=(grid, grid),
                mode='bilinear',
                align_corners=False),
            dim=1) for s in stages
    ],
                     dim=1)

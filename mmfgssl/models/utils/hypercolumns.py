"""A ResNet stage by stage: per-pixel hypercolumn features (part
discovery) and a pass under activation checkpointing."""
from contextlib import nullcontext
from typing import Callable, List, Sequence

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

RESNET_STAGES = ('stem', 'layer1', 'layer2', 'layer3', 'layer4')


def resnet_stages(backbone) -> List[Callable]:
    """An mmpretrain ``ResNet`` as its :data:`RESNET_STAGES`: the
    max-pooled stem, then each residual layer. Applied in turn, they are the
    backbone's forward up to its last stage."""
    if not hasattr(backbone, 'res_layers'):
        raise TypeError(f'{type(backbone).__name__} is not an mmpretrain '
                        'ResNet (it has no res_layers)')

    def stem(x):
        if backbone.deep_stem:
            x = backbone.stem(x)
        else:
            x = backbone.relu(backbone.norm1(backbone.conv1(x)))
        return backbone.maxpool(x)

    return [stem] + [getattr(backbone, name) for name in backbone.res_layers]


def checkpointed_resnet(backbone,
                        images: torch.Tensor,
                        context: Callable = nullcontext) -> torch.Tensor:
    """The last output of an mmpretrain ``ResNet`` (its last ``out_indices``
    stage), computed block by block under activation checkpointing: each
    block's activations are recomputed in the backward instead of kept.
    Every block runs inside ``context()``, also when it is recomputed."""

    def run(segment, x):
        with context():
            return segment(x)

    stem, *layers = resnet_stages(backbone)[:max(backbone.out_indices) + 2]
    x = images
    for segment in [stem] + [block for layer in layers for block in layer]:
        x = checkpoint(run, segment, x, use_reentrant=False)
    return x


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
    outputs, x = {}, images
    last = max(RESNET_STAGES.index(s) for s in stages)
    for name, stage in zip(RESNET_STAGES[:last + 1], resnet_stages(backbone)):
        x = stage(x)
        outputs[name] = x
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

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class FeatureDecoder(BaseModule):
    """A small upsampling decoder from backbone features to images (the
    decoder of SynthPairs).

    The input (a ``(N, C, h, w)`` feature map, or a ``(N, C)`` vector when
    ``from_vector``) becomes a ``channels[0]``-channel map on a
    ``base x base`` grid (maps: resized to it if needed, then a 1x1 conv,
    BN, ReLU; vectors: a linear layer and ReLU, reshaped), followed by
    ``len(channels) - 1`` blocks [3x3 conv, BN, ReLU, x2 nearest upsampling]
    and a 3x3 conv to 3 channels: ``(N, 3, out_size, out_size)`` images in
    the input's normalised space, ``base = out_size / 2 ** (len(channels) -
    1)``. Each block convolves before it upsamples, so only the last conv
    runs (and keeps its input for the backward) at the output resolution.

    Args:
        in_channels: channels of the backbone feature.
        out_size: side of the decoded images (e.g. 112 for 224 px inputs).
        channels: widths from the ``base`` grid up to ``out_size``.
        from_vector: decode pooled vectors instead of feature maps.
    """

    def __init__(self,
                 in_channels: int,
                 out_size: int,
                 channels: Sequence[int] = (128, 64, 32, 32, 16),
                 from_vector: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        scale = 2**(len(channels) - 1)
        if out_size % scale:
            raise ValueError(f'decoder out_size={out_size} is not a multiple '
                             f'of 2 ** (len(channels) - 1) = {scale} '
                             f'(channels={tuple(channels)})')
        self.in_channels = in_channels
        self.out_size, self.base = out_size, out_size // scale
        self.from_vector = from_vector
        if from_vector:
            self.stem = nn.Linear(in_channels, channels[0] * self.base**2)
        else:
            self.stem = ConvModule(
                in_channels, channels[0], 1, norm_cfg=norm_cfg)
        self.blocks = nn.Sequential(*[
            nn.Sequential(
                ConvModule(c_in, c_out, 3, padding=1, norm_cfg=norm_cfg),
                nn.Upsample(scale_factor=2, mode='nearest'))
            for c_in, c_out in zip(channels[:-1], channels[1:])
        ])
        self.to_image = nn.Conv2d(channels[-1], 3, 3, padding=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if self.from_vector:
            if features.dim() != 2:
                raise ValueError(
                    'FeatureDecoder(from_vector=True) decodes '
                    f'(N, C) vectors, got {tuple(features.shape)}')
            x = F.relu(self.stem(features)).view(features.shape[0], -1,
                                                 self.base, self.base)
        else:
            if features.dim() != 4:
                raise ValueError('FeatureDecoder decodes (N, C, h, w) maps, '
                                 f'got {tuple(features.shape)}')
            if features.shape[-2:] != (self.base, self.base):
                features = F.interpolate(
                    features,
                    size=(self.base, self.base),
                    mode='bilinear',
                    align_corners=False)
            x = self.stem(features)
        return self.to_image(self.blocks(x))

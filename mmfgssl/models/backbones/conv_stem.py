"""A convolutional stem for the CPU ViT's patch embedding.

A ViT whose patches are embedded by one ``patch x patch`` convolution
learned the generic objects slowly on the CPU budget: its loss stayed flat
for the first epochs at every learning rate tried (2.5e-4 to 1e-3), and its
frozen class token reached 13.1 % kNN on the benchmark (26.7 % with this
stem, same recipe otherwise). Xiao et al. (2021,
"Early convolutions help transformers see better") replace that
convolution with a few stride-2 3x3 convolutions and find the ViT then
optimises faster and more stably; the token grid, and everything built on
it (attention maps, kept patches, part maps), is unchanged.
"""
import math

import torch.nn as nn
from mmengine.registry import MODELS
from mmengine.utils import to_2tuple


# in mmengine's root registry, with mmcv's convolution layers, where the
# patch embedding's build_conv_layer finds it from any scope
@MODELS.register_module()
class ConvStem(nn.Sequential):
    """Stride-2 3x3 convolutions (batch norm, ReLU; widths doubling up to
    ``out_channels``) down to the patch stride, then a 1x1 convolution to
    the embedding. It takes the arguments of the convolution it replaces,
    so a ViT uses it by ``patch_cfg=dict(conv_type='ConvStem')``.

    Args:
        in_channels: image channels.
        out_channels: embedding width.
        kernel_size: the patch size (square), as for the plain embedding.
        stride: must equal ``kernel_size`` and be a power of two.
        padding, dilation: must be 0 and 1 (what a patch embedding uses).
        bias: bias of the final 1x1 convolution.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size,
                 stride,
                 padding=0,
                 dilation=1,
                 bias: bool = True) -> None:
        patch, step = to_2tuple(kernel_size), to_2tuple(stride)
        downsamplings = math.log2(step[0])
        if (patch != step or step[0] != step[1]
                or not downsamplings.is_integer() or downsamplings < 1
                or to_2tuple(padding) != (0, 0)
                or to_2tuple(dilation) != (1, 1)):
            raise ValueError(
                'ConvStem replaces a square patch embedding of a power-of-two '
                f'patch size: got kernel_size={kernel_size}, stride={stride}, '
                f'padding={padding}, dilation={dilation}')
        layers, width = [], in_channels
        for i in reversed(range(int(downsamplings))):
            out = max(out_channels // 2**i, 8)
            layers += [
                nn.Conv2d(width, out, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True)
            ]
            width = out
        layers.append(nn.Conv2d(width, out_channels, 1, bias=bias))
        super().__init__(*layers)
        self.stride = step  # read as the patch stride, as of the plain conv

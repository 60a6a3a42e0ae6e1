"""The part-segmentation decoder."""
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import SampleList

from .datasets import IGNORE_INDEX


def bit_targets(labels: torch.Tensor, num_parts: int) -> torch.Tensor:
    """``(N, H, W)`` bit-set labels -> ``(N, P, H, W)`` 0/1 part targets."""
    bits = torch.arange(num_parts, device=labels.device).view(1, -1, 1, 1)
    return ((labels.unsqueeze(1).long() >> bits) & 1).float()


@MODELS.register_module()
class PartUpsampleHead(BaseDecodeHead):
    """Upsampling decoder of the PARTICLE/CoarseSup part segmentation: a
    stack of [bilinear x2 -> 1x1 conv -> BN -> ReLU] blocks, one per entry
    of ``up_channels``, then a 1x1 classifier. Four blocks take a ResNet
    with output stride 16 back to full resolution (the released PARTICLE
    code stops at three, i.e. half resolution; CoarseSup uses four).

    Args:
        up_channels: output channels of the upsampling blocks.
        multi_label: overlapping parts (OID Aircraft): labels are bit sets,
            the loss is a per-part sigmoid binary cross-entropy.
        **kwargs: ``BaseDecodeHead`` arguments (in_channels, num_classes,
            loss_decode, ...). ``channels`` is the last up_channels entry.
    """

    def __init__(self,
                 up_channels: Sequence[int] = (256, 128, 64, 32),
                 multi_label: bool = False,
                 **kwargs) -> None:
        super().__init__(channels=up_channels[-1], **kwargs)
        self.multi_label = multi_label
        ins = [self.in_channels] + list(up_channels[:-1])
        self.ups = nn.ModuleList([
            ConvModule(i, o, 1, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
            for i, o in zip(ins, up_channels)
        ])

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        for up in self.ups:
            x = up(
                F.interpolate(
                    x,
                    scale_factor=2,
                    mode='bilinear',
                    align_corners=self.align_corners))
        return self.cls_seg(x)

    def loss_by_feat(self, seg_logits: torch.Tensor,
                     batch_data_samples: SampleList) -> dict:
        if not self.multi_label:
            return super().loss_by_feat(seg_logits, batch_data_samples)
        labels = self._stack_batch_gt(batch_data_samples).squeeze(1)
        seg_logits = F.interpolate(
            seg_logits,
            size=labels.shape[-2:],
            mode='bilinear',
            align_corners=self.align_corners)
        valid = (labels != IGNORE_INDEX).unsqueeze(1).float()
        targets = bit_targets(labels, self.out_channels) * valid
        loss = F.binary_cross_entropy_with_logits(
            seg_logits,
            targets,
            weight=valid.expand_as(seg_logits),
            reduction='sum') / valid.expand_as(seg_logits).sum().clamp(min=1)
        return dict(loss_bce=loss)

"""The part-segmentation decoder and a strict backbone initialiser."""
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model.weight_init import BaseInit
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import _load_checkpoint
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


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit(BaseInit):
    """Load ``prefix``-ed weights of a checkpoint into a module, strictly.

    mmengine's ``Pretrained`` loads with ``strict=False`` and only logs
    mismatches, so a wrong checkpoint silently leaves random weights (e.g. a
    ResNetV1c stem). Here every module key must be found and every
    ``prefix`` key must be used, or the run stops naming the keys.

    Args:
        checkpoint: path of a self-supervised checkpoint (any mmfgssl method:
            its ``backbone.`` weights).
        prefix: keys under this prefix are loaded, without it.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: str = 'backbone.',
                 map_location: str = 'cpu') -> None:
        super().__init__()
        self.checkpoint, self.prefix = checkpoint, prefix
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        if not self.checkpoint:
            raise ValueError(
                'the backbone checkpoint is empty: pass the self-supervised '
                'checkpoint with --cfg-options '
                'model.backbone.init_cfg.checkpoint=<path>')
        state = _load_checkpoint(self.checkpoint, self.map_location)
        state = state.get('state_dict', state)
        weights = {
            k[len(self.prefix):]: v
            for k, v in state.items() if k.startswith(self.prefix)
        }
        if not weights:
            raise KeyError(f'{self.checkpoint} has no weights under '
                           f'{self.prefix!r} (first keys: '
                           f'{list(state)[:5]})')
        result = module.load_state_dict(weights, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise RuntimeError(
                f'{self.checkpoint} ({self.prefix}*) does not match '
                f'{type(module).__name__}: missing {result.missing_keys[:5]}'
                f' ({len(result.missing_keys)}), unexpected '
                f'{result.unexpected_keys[:5]} '
                f'({len(result.unexpected_keys)})')

    def _get_init_info(self) -> str:
        return f'{type(self).__name__}: load from {self.checkpoint}'

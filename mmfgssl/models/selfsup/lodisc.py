"""LoDisc: Learning Global-Local Discriminative Features for Self-Supervised
Fine-Grained Visual Recognition (Shi, Wei, Nie, Huang; arXiv 2403.04066).

MoCo v3 (``mocov3.py``, the global branch) plus a local branch that makes
the model attend to the pivotal patches of an image:

1. The momentum encoder's pass that computes a view's key also records,
   in every layer, the class token's head-averaged attention over the
   patches (:class:`AttentionRecorder`, from each layer's q and k).
2. The layers' rows are fused by element-wise product, computed as a sum of
   logs (``attention_fusion``), and the top ``keep_ratio`` of the patches
   of each image are its pivotal patches (:func:`pivotal_patches`; the
   code's location-wise mask).
3. The momentum encoder embeds the view with only its pivotal patches
   (``mask_mode``) into a local key.
4. ``L = L_global + L_local``: MoCo v3's symmetric loss of the online
   predictions against the momentum keys of the other view, and the same
   loss against the local keys of the other view.

Defaults follow the official code (huanglab-research/LoDisc), whose choices
are switches (``model.*``):

* ``keep_ratio=0.3``: patches kept, ``int(0.3 * N)`` per image (58 of 196:
  the code keeps the patches scoring above the 59th score). Called
  ``mask_ratio`` in the issue; it is the fraction *kept*.
* ``attention_fusion='product'`` as the code, as a sum of logs (the code
  multiplies the maps, each scaled by 1000, in fp32: up to 1e36 for
  ViT-B's 12 layers, inf for 24; the logs rank the same);
  ``'rollout'``: attention rollout (Abnar & Zuidema 2020).
* ``mask_mode='zero'``: the pixels of the other patches are set to zero
  after normalisation (the mean colour) and all tokens go through the
  encoder, as the code; ``'drop'``: their tokens are dropped before the
  first layer, as MAE, so the local pass costs about ``keep_ratio`` of a
  full pass. The pivotal patches are the same in both modes.
* MoCo v3's switches (``use_projector=False``, ``ema_updates_per_step``,
  ``test_feature``), see ``mocov3.py``.

What differs from the code by design: the code runs two extra momentum
passes only to read attention and applies the EMA four times per step
(once more in a pass that only logs accuracy); here the keys' pass gives
the attention and the four updates are applied as one before all momentum
passes, so keys, masks and local keys all come from the encoder after the
four updates (the code's global keys see it after the first one).
"""
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import (ATTENTION_FUSIONS, AttentionRecorder, fuse_attention,
                     patch_grid, vit_class_token)
from .base import VisualMap
from .mocov3 import FGMoCoV3, mocov3_loss

MASK_MODES = ('zero', 'drop')


def pivotal_patches(scores: torch.Tensor, keep_ratio: float) -> torch.Tensor:
    """Indices ``(B, K)`` (ascending) of each image's ``K = int(keep_ratio
    * N)`` highest-scoring patches, from patch scores ``(B, N)``."""
    num_kept = int(scores.shape[1] * keep_ratio)
    if num_kept < 1:
        raise ValueError(f'keep_ratio={keep_ratio} keeps no patch of '
                         f'{scores.shape[1]}')
    return scores.topk(num_kept, dim=1).indices.sort(dim=1).values


def keep_mask(kept: torch.Tensor, grid: Tuple[int, int]) -> torch.Tensor:
    """``(B, h, w)`` boolean map of the kept patches ``(B, K)``."""
    mask = kept.new_zeros(kept.shape[0], grid[0] * grid[1], dtype=torch.bool)
    return mask.scatter_(1, kept, True).view(-1, *grid)


def zero_other_patches(images: torch.Tensor, kept: torch.Tensor,
                       grid: Tuple[int, int]) -> torch.Tensor:
    """``images`` ``(B, C, H, W)`` with the pixels of every patch not in
    ``kept`` set to zero (the LoDisc code's masked input)."""
    height, width = images.shape[-2:]
    if height % grid[0] or width % grid[1]:
        raise ValueError(f'{height}x{width} images do not tile into the '
                         f'{grid[0]}x{grid[1]} patch grid')
    pixels = keep_mask(kept, grid).repeat_interleave(
        height // grid[0], dim=1).repeat_interleave(
            width // grid[1], dim=2)
    return images * pixels.unsqueeze(1).to(images.dtype)


@MODELS.register_module()
class LoDisc(FGMoCoV3):
    """MoCo v3 plus LoDisc's local discrimination (see the module
    docstring).

    Args:
        keep_ratio: fraction of patches kept as pivotal.
        attention_fusion: ``'product'`` or ``'rollout'``.
        mask_mode: ``'zero'`` or ``'drop'``.
        **kwargs: :class:`FGMoCoV3` arguments.
    """

    def __init__(self,
                 keep_ratio: float = 0.3,
                 attention_fusion: str = 'product',
                 mask_mode: str = 'zero',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if attention_fusion not in ATTENTION_FUSIONS:
            raise ValueError(f'attention_fusion={attention_fusion!r}: use '
                             f'one of {ATTENTION_FUSIONS}')
        if mask_mode not in MASK_MODES:
            raise ValueError(f'mask_mode={mask_mode!r}: use one of '
                             f'{MASK_MODES}')
        if not 0 < keep_ratio <= 1:
            raise ValueError(f'keep_ratio={keep_ratio} must be in (0, 1]')
        self.keep_ratio = keep_ratio
        self.attention_fusion = attention_fusion
        self.mask_mode = mask_mode

    @property
    def momentum_vit(self) -> VisionTransformer:
        return self.momentum_encoder.module[0]

    def patch_grid(self, images: torch.Tensor) -> Tuple[int, int]:
        return patch_grid(self.backbone, images)

    @torch.no_grad()
    def key_and_patch_scores(
            self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The momentum key ``(B, D)`` of ``images`` and, from the same
        pass, each patch's fused class-token attention ``(B, N)``."""
        with AttentionRecorder(
                self.momentum_vit,
                full_maps=self.attention_fusion == 'rollout') as recorder:
            key = self.momentum_encoder(images)[-1]
        return key, fuse_attention(recorder.records, self.attention_fusion)

    @torch.no_grad()
    def local_key(self, images: torch.Tensor,
                  kept: torch.Tensor) -> torch.Tensor:
        """The momentum key of ``images`` with only the ``kept`` patches."""
        if self.mask_mode == 'zero':
            masked = zero_other_patches(images, kept, self.patch_grid(images))
            return self.momentum_encoder(masked)[-1]
        token = vit_class_token(self.momentum_vit, images, kept)
        # the momentum projector if there is one (an empty Sequential passes
        # its input through)
        return self.momentum_encoder.module[1:]((token, ))[-1]

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        # momentum passes first, with no autograd graph alive (see FGMoCoV3)
        self.update_momentum_encoder()
        keys, local_keys = [], []
        for view in inputs:
            key, scores = self.key_and_patch_scores(view)
            keys.append(key)
            local_keys.append(
                self.local_key(view, pivotal_patches(scores, self.keep_ratio)))
        preds = [self.online_prediction(view) for view in inputs]
        return dict(
            loss_global=mocov3_loss(preds, keys, self.temperature),
            loss_local=mocov3_loss(preds, local_keys, self.temperature))

    def visual_maps(self, images: torch.Tensor) -> List[VisualMap]:
        """The momentum encoder's fused class-token attention and the
        pivotal patches it selects (the others washed out to grey)."""
        inputs = self.preprocess_images(images)
        _, scores = self.key_and_patch_scores(inputs)
        grid = self.patch_grid(inputs)
        kept = pivotal_patches(scores, self.keep_ratio)
        size = images.shape[-2:]
        pixels = F.interpolate(
            keep_mask(kept, grid)[:, None].float(), size=size,
            mode='nearest').to(torch.bool)
        grey = ((images.int() + 2 * 128) // 3).to(images.dtype)
        fusion = dict(
            product='product of the layers',
            rollout='rollout')[self.attention_fusion]
        return [
            VisualMap(f'class-token attention ({fusion})', 'heat',
                      scores.view(-1, *grid)),
            VisualMap(f'pivotal patches (top {self.keep_ratio:.0%})', 'image',
                      torch.where(pixels, images, grey))
        ]

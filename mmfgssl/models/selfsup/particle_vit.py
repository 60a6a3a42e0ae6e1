"""PARTICLE on a ViT (Saha and Maji, ICCV-W 2023): the DINO ViT-S/8 variant
of the official code (cvl-umass/PARTICLE, ``train_particle_vit.py``).

DINO (``dino.py``) on the class token plus the DetCon-B part loss on the
patch tokens, with parts discovered by clustering the ViT's own patch
features, in rounds (``PartMapHook``, as the ResNet PARTICLE). Per step, on
the two global crops of an image and their part maps
(``MultiViewWithMasks``):

1. DINO's loss on the class tokens (:meth:`DINO.dino_step`);
2. from the same backbone passes, the patch tokens after the final norm,
   laid out as a ``(C, h, w)`` map, are average-pooled under each of
   ``num_samples`` part ids sampled per view; the student's projector and
   predictor predict the teacher's projection of the same part in the other
   view, the other parts of the batch being negatives (``detcon_b_loss``,
   temperature 0.1). The teacher averages backbone, head *and projector*
   (the official projector sits inside the ViT); the predictor is online
   only.

``L = L_DINO + part_loss_weight * L_part``.

Part discovery (:meth:`discover_parts`): the whole image resized to
``discovery_size`` (224: a 28x28 token grid for ViT-S/8), the teacher's
patch descriptors, L2-normalised, clustered per image into ``num_parts``
parts by ``batched_kmeans``. The teacher is the network DINO evaluates and
the one the official clustering used (the released DINO weights are a
teacher).

What follows the official code: the recipe in the configs (DINO ViT-S/8
init, new head 384-2048-2048-256-65536 without weight-normalised norm,
projector MLP(384, 2048, 256) and predictor MLP(256, 2048, 256) with
LayerNorm, 6 part ids sampled per view, losses 1:1, 2 global crops); the
part negatives of one process's batch (the code runs DDP with 8 images per
GPU and does not gather). What is simplified: the official discovery is
Amir et al.'s co-segmentation of the same features (the keys of DINO's last
layer) at stride 4, in groups of 30 images, with a foreground/background
k-means and a saliency vote, then 5 foreground parts and a dense CRF
(ids 0 = background, 1..5); here each image's keys at the ViT's own stride
are clustered into ``num_parts`` = 6 parts, without foreground stage, group
or CRF. The part ids are sampled once per view and shared by student and
teacher, as this project's DetCon (the code draws them separately for each,
which mostly gives the same set: 6 of at most 6 present ids).

Switches (``model.*``, besides DINO's):

* ``num_parts``: clusters per image (6: the code's background + 5 parts).
* ``num_samples``: part ids sampled per view (6).
* ``part_temperature``: of the DetCon-B loss (0.1).
* ``part_loss_weight``: weight of the part loss (1: the code's 1:1).
* ``ignore_empty_parts``: drop sampled ids absent from a view; the code
  contrasts their zero vectors (``False``).
* ``gather_targets``: part negatives from all processes (DetCon); the code
  uses the process's own (``False``).
* ``discovery_features``: ``'key'``, the last layer's keys (the code's
  facet), or ``'tokens'``, the patch tokens after the final norm.
* ``discovery_size``, ``kmeans``: discovery input side and k-means settings.
* ``epochs_per_round``: discover again with the model trained so far every
  this many epochs; ``None`` discovers once (the code: one round).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import batched_kmeans, patch_grid, patch_keys
from .base import PartDiscoverer, VisualMap
from .detcon import (discovered_parts_map, embed_parts, part_contrast_loss,
                     predict_parts, read_part_masks, sample_parts)
from .dino import DINO
from .particle import discovery_inputs

DISCOVERY_FEATURES = ('key', 'tokens')


def patch_token_map(tokens: torch.Tensor, grid, num_extra_tokens: int = 1):
    """All tokens ``(B, T, C)`` of a ViT -> the patch tokens as a feature map
    ``(B, C, h, w)`` (row-major grid, as the ViT's ``featmap``)."""
    patches = tokens[:, num_extra_tokens:]
    return patches.transpose(1, 2).reshape(tokens.shape[0], -1, *grid)


@MODELS.register_module()
class PARTICLEViT(DINO, PartDiscoverer):
    """DINO on the class token and DetCon-B on parts of the patch tokens
    (see the module docstring for the method and its switches).

    Args:
        neck: the part projector (a 2-layer ``NonLinearNeck`` with
            LayerNorm), averaged by the teacher.
        predictor: the online predictor (a neck config).
        num_parts, num_samples, part_temperature, part_loss_weight,
        ignore_empty_parts, gather_targets, discovery_size,
        discovery_features, kmeans, epochs_per_round: see the module
            docstring.
        **kwargs: :class:`DINO` arguments; the backbone must give all tokens
            (``out_type='raw'``).
    """

    def __init__(self,
                 neck: dict,
                 predictor: dict,
                 num_parts: int = 6,
                 num_samples: int = 6,
                 part_temperature: float = 0.1,
                 part_loss_weight: float = 1.,
                 ignore_empty_parts: bool = True,
                 gather_targets: bool = False,
                 discovery_size: int = 224,
                 discovery_features: str = 'key',
                 kmeans: dict = dict(
                     num_iters=30, n_init=8, seed=0, local_trials=4),
                 epochs_per_round: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(neck=neck, **kwargs)
        if self.backbone.out_type != 'raw':
            raise ValueError(
                f"{type(self).__name__} pools patch tokens: the backbone "
                f"needs out_type='raw', got {self.backbone.out_type!r}")
        if discovery_features not in DISCOVERY_FEATURES:
            raise ValueError(f'discovery_features={discovery_features!r}: '
                             f'use one of {DISCOVERY_FEATURES}')
        if epochs_per_round is not None and epochs_per_round < 1:
            raise ValueError(f'epochs_per_round={epochs_per_round} < 1')
        self.predictor = MODELS.build(predictor)
        self.num_parts, self.num_samples = num_parts, num_samples
        self.part_temperature = part_temperature
        self.part_loss_weight = part_loss_weight
        self.ignore_empty_parts = ignore_empty_parts
        self.gather_targets = gather_targets
        self.discovery_size = discovery_size
        self.discovery_features = discovery_features
        self.kmeans = dict(kmeans)
        self.epochs_per_round = epochs_per_round

    def student(self) -> nn.ModuleDict:
        """Backbone, head and projector: what the teacher averages."""
        return nn.ModuleDict(
            dict(backbone=self.backbone, head=self.head, neck=self.neck))

    # ---------------------------------------------------------- parts ----
    @torch.no_grad()
    def discover_parts(self, images: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Part maps (the token grid of ``discovery_size``, ids
        ``0..num_parts-1``) of training images given as BGR uint8 arrays,
        from the teacher's patch descriptors."""
        inputs = discovery_inputs(self, images, self.discovery_size)
        vit = self.teacher.module['backbone']
        if self.discovery_features == 'key':
            features = patch_keys(vit, inputs)
        else:
            features = vit(inputs)[-1][:, vit.num_extra_tokens:]
        labels = batched_kmeans(
            F.normalize(features, dim=-1), self.num_parts,
            **self.kmeans).labels
        grid = patch_grid(vit, inputs)
        return [m.view(grid).cpu().numpy().astype(np.uint8) for m in labels]

    def visual_maps(self, images: torch.Tensor) -> List[VisualMap]:
        """DINO's attention map and the parts :meth:`discover_parts`
        writes."""
        return super().visual_maps(images) + [
            discovered_parts_map(self, images)
        ]

    # ----------------------------------------------------------- loss ----
    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        part_masks = read_part_masks(data_samples,
                                     type(self).__name__, self.num_parts,
                                     inputs[0].device)  # (B, 2, H, W)
        step = self.dino_step(inputs)
        grid = patch_grid(self.backbone, inputs[0])
        id_maps, ids, valid = sample_parts(part_masks, grid, self.num_parts,
                                           self.num_samples,
                                           self.ignore_empty_parts)
        extra = self.backbone.num_extra_tokens
        preds = torch.stack([
            predict_parts(
                self.predictor,
                embed_parts(
                    self.neck,
                    patch_token_map(step.student_outputs[v], grid, extra),
                    id_maps[v], ids[v])) for v in range(2)
        ])
        with torch.no_grad():
            teacher_neck = self.teacher.module['neck']
            targets = torch.stack([
                embed_parts(
                    teacher_neck,
                    patch_token_map(step.teacher_outputs[v], grid, extra),
                    id_maps[v], ids[v]) for v in range(2)
            ])
        loss_part = part_contrast_loss(preds, targets, ids, valid,
                                       self.part_temperature,
                                       self.gather_targets)
        return dict(
            loss_dino=step.loss, loss_part=self.part_loss_weight * loss_part)

"""DetCon-B (Hénaff et al., ICCV 2021): contrastive learning of part masks.

Two views of an image carry the same part map (geometry applied to both,
see ``MultiViewWithMasks``). In each view a few part ids are sampled, the
feature map is average-pooled under each part's mask, and a BYOL-style
online network (backbone, projector, predictor) predicts the target
network's (an EMA of backbone and projector) projection of the same part in
the other view; other parts of the same image and all parts of the other
images are negatives (InfoNCE, temperature 0.1).

Masks come from an unsupervised Felzenszwalb-Huttenlocher segmentation of
the image, as in DetCon; PARTICLE (``particle.py``) replaces them with parts
discovered by clustering the model's own pixel features.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.utils import CosineEMA
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import WarmupEMA, mask_pool
from .base import FGSelfSupervisor, PartDiscoverer, VisualMap

NEG_INF = -1e9  # logit of entries excluded from the softmax
TARGET_SCHEDULES = {
    'warmup': WarmupEMA,  # PARTICLE code: min(tau, (1+t)/(10+t))
    'constant': ExponentialMovingAverage,  # tau from the first step
    'cosine': CosineEMA,  # BYOL/DetCon: tau annealed to 1
}


def detcon_b_loss(preds: torch.Tensor,
                  targets: torch.Tensor,
                  pred_ids: torch.Tensor,
                  target_ids: torch.Tensor,
                  pred_valid: torch.Tensor,
                  target_valid: torch.Tensor,
                  temperature: float = 0.1,
                  image_offset: int = 0) -> torch.Tensor:
    """The DetCon-B loss, summed over both query views.

    For a query part (image i, sample s, view a): positives are the target
    parts of image i in the *other* view with the same id; the same id in the
    query's own view is excluded; every other target part (same image, both
    views: local negatives; other images, both views) is a negative. The
    cross-entropy against the uniform distribution over positives is
    weighted by 1[has a positive] / (times the id was sampled in its view)
    and averaged over all B*S queries.

    Args:
        preds: ``(2, B, S, D)`` online predictions of both views.
        targets: ``(2, B', S, D)`` target projections; ``B' >= B`` when
            gathered from all processes.
        pred_ids, target_ids: ``(2, B, S)`` / ``(2, B', S)`` part ids.
        pred_valid, target_valid: same shapes, False for sampled parts
            whose mask is empty (never positives or negatives).
        temperature: softmax temperature.
        image_offset: index in ``B'`` of this process's first image.
    """
    _, b, s, _ = preds.shape
    preds = F.normalize(preds, dim=-1)
    targets = F.normalize(targets, dim=-1)
    images = torch.arange(b, device=preds.device) + image_offset
    target_images = torch.arange(targets.shape[1], device=preds.device)
    same_image = (images[:, None] == target_images[None]).view(b, 1, -1, 1)
    total = preds.new_zeros(())
    for a in (0, 1):
        other = 1 - a
        q, ids, valid = preds[a], pred_ids[a], pred_valid[a]
        # targets of the other view, then of the query's own view
        t = torch.cat([targets[other], targets[a]], dim=1)  # (B', 2S, D)
        t_ids = torch.cat([target_ids[other], target_ids[a]], dim=1)
        t_valid = torch.cat([target_valid[other], target_valid[a]], dim=1)
        logits = torch.einsum('bsd,ntd->bsnt', q, t) / temperature
        same_id = ids.view(b, s, 1, 1) == t_ids.view(1, 1, -1, 2 * s)
        match = same_image & same_id & t_valid.view(1, 1, -1, 2 * s)
        positives = match.clone()
        positives[..., s:] = False  # only the other view holds positives
        excluded = match & ~positives | ~t_valid.view(1, 1, -1, 2 * s)
        logits = logits.masked_fill(excluded, NEG_INF).flatten(2)
        positives = positives.flatten(2).float()
        num_pos = positives.sum(-1)
        labels = positives / num_pos.clamp(min=1).unsqueeze(-1)
        ce = -(labels * F.log_softmax(logits, dim=-1)).sum(-1)
        duplicates = (ids.unsqueeze(2) == ids.unsqueeze(1)).sum(-1)
        weight = ((num_pos > 0) & valid).float() / duplicates
        total = total + (weight * ce).mean()
    return total


def downsample_part_map(part_maps: torch.Tensor,
                        size: Tuple[int, int]) -> torch.Tensor:
    """Majority id of each cell of a ``size`` grid: ``(N, H, W)`` integer
    maps -> ``(N, h, w)`` (the PARTICLE code's average-pooled one-hot masks
    followed by an argmax). Ties go to the smaller id."""
    n, height, width = part_maps.shape
    h, w = size
    if height % h or width % w:
        raise ValueError(f'part maps of {height}x{width} do not tile the '
                         f'{h}x{w} feature grid')
    cells = part_maps.view(n, h, height // h, w, width // w)
    cells = cells.permute(0, 1, 3, 2, 4).reshape(n, h, w, -1)
    # mode: the most frequent id; sort so ties resolve to the smaller id
    return cells.sort(dim=-1).values.mode(dim=-1).values


def sample_part_ids(id_maps: torch.Tensor, num_ids: int,
                    num_samples: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sample ``num_samples`` distinct ids per map, present ids first.

    As the DetCon/PARTICLE code: ids present in the map have weight 1, the
    others 1e-11, so absent ids are drawn only when fewer than
    ``num_samples`` are present. Returns ``(ids, present)``, both
    ``(N, num_samples)``.
    """
    if num_samples > num_ids:
        raise ValueError(f'num_samples={num_samples} exceeds the {num_ids} '
                         'part ids')
    present = F.one_hot(id_maps.flatten(1), num_ids).amax(1).bool()
    weights = present.float() + 1e-11
    ids = torch.multinomial(weights, num_samples, replacement=False)
    return ids, present.gather(1, ids)


def read_part_masks(data_samples: List[DataSample], method: str, num_ids: int,
                    device) -> torch.Tensor:
    """The two views' part maps of a batch, ``(B, 2, H, W)``, checked:
    every sample carries ``part_masks`` and no id reaches ``num_ids``."""
    if not all('part_masks' in ds for ds in data_samples):
        raise KeyError(
            f'{method} trains on part maps, but the batch has no part_masks: '
            'the training dataset must be a PartMapDataset whose pipeline '
            "ends in MultiViewWithMasks and PackInputs(algorithm_keys=["
            "'part_masks']), with a PartMapHook in custom_hooks (see "
            'configs/_base_/datasets/*_parts.py)')
    part_masks = torch.stack([
        torch.as_tensor(np.asarray(ds.part_masks)) for ds in data_samples
    ]).to(device)
    if part_masks.max() >= num_ids:
        raise ValueError(f'part id {int(part_masks.max())} >= num_ids='
                         f'{num_ids}')
    return part_masks


def sample_parts(part_masks: torch.Tensor, grid: Tuple[int, int], num_ids: int,
                 num_samples: int, ignore_empty_parts: bool):
    """Each view's part map on the feature ``grid`` and its sampled ids.

    Returns ``(id_maps, ids, valid)``: a list of the two views' ``(B, h, w)``
    majority-id maps (:func:`downsample_part_map`), and ``(2, B, S)`` sampled
    ids (:func:`sample_part_ids`) with their validity (present in the view,
    or all valid when empty parts are contrasted as zero vectors).
    """
    id_maps, ids, valid = [], [], []
    for v in range(2):
        id_map = downsample_part_map(part_masks[:, v], grid)
        view_ids, present = sample_part_ids(id_map, num_ids, num_samples)
        id_maps.append(id_map)
        ids.append(view_ids)
        valid.append(
            present if ignore_empty_parts else torch.ones_like(present))
    return id_maps, torch.stack(ids), torch.stack(valid)


def embed_parts(projector: nn.Module, feature_map: torch.Tensor,
                id_map: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Project the feature map ``(B, C, h, w)`` average-pooled under each
    sampled id's mask: ``(B, S, D)``."""
    masks = (id_map.unsqueeze(1) == ids[:, :, None, None]).float()
    pooled = mask_pool(feature_map, masks)  # (B, S, C)
    b, s, c = pooled.shape
    return projector((pooled.reshape(b * s, c), ))[0].view(b, s, -1)


def predict_parts(predictor: nn.Module, parts: torch.Tensor) -> torch.Tensor:
    """The predictor applied to every part embedding ``(B, S, D)``."""
    return predictor((parts.flatten(0, 1), ))[0].view_as(parts)


def part_contrast_loss(preds: torch.Tensor, targets: torch.Tensor,
                       ids: torch.Tensor, valid: torch.Tensor,
                       temperature: float,
                       gather_targets: bool) -> torch.Tensor:
    """:func:`detcon_b_loss` of this process's predictions ``(2, B, S, D)``
    against the targets of this process or, with ``gather_targets``, of all
    processes (DetCon's cross-replica negatives)."""
    target_ids, target_valid, offset = ids, valid, 0
    if gather_targets:
        gathered = [all_gather(t) for t in (targets, ids, valid)]
        offset = get_rank() * targets.shape[1]
        targets, target_ids, target_valid = (
            torch.cat(g, dim=1) for g in gathered)
    return detcon_b_loss(preds, targets, ids, target_ids, valid, target_valid,
                         temperature, offset)


def discovered_parts_map(model: PartDiscoverer,
                         images: torch.Tensor) -> VisualMap:
    """The part maps ``model.discover_parts`` writes for a ``(N, 3, H, W)``
    uint8 BGR batch, as a ``tools/visualize.py`` column."""
    parts = model.discover_parts(
        [img.permute(1, 2, 0).numpy().copy() for img in images])
    return VisualMap(f'parts ({type(model).__name__}.discover_parts)',
                     'labels', torch.as_tensor(np.stack(parts)))


@MODELS.register_module()
class DetCon(FGSelfSupervisor, PartDiscoverer):
    """DetCon-B with Felzenszwalb masks (the baseline and initialisation of
    PARTICLE).

    Args:
        backbone, neck: the encoder and the projector (e.g. a 2-layer
            ``NonLinearNeck`` with LayerNorm, as the PARTICLE code).
        predictor: the online predictor (a neck config).
        num_samples: part ids sampled per view (10 in the PARTICLE code).
        num_ids: upper bound of part ids in a part map (K parts; FH segment
            ids beyond it are folded modulo ``num_ids``).
        temperature: of the DetCon-B loss.
        momentum: EMA momentum in mmengine's convention, ``1 - tau``: 0.004
            is the PARTICLE code's tau = 0.996.
        target_schedule: how tau evolves: ``'warmup'``, the PARTICLE code's
            torch_ema decay ``min(tau, (1 + t) / (10 + t))`` over updates t
            (:class:`WarmupEMA`); ``'constant'``, tau from the first step;
            ``'cosine'``, annealed from tau to 1 (BYOL, DetCon).
        ignore_empty_parts: drop sampled ids whose mask is empty in the view
            from positives and negatives. The PARTICLE code pools them to
            zero vectors and contrasts those; ``False`` reproduces it.
        gather_targets: use the target parts of all processes as negatives
            (DetCon's cross-replica loss; one process in the PARTICLE code
            sees the whole batch).
        fh_scale, fh_min_size: Felzenszwalb-Huttenlocher parameters of
            :meth:`discover_parts` (DetCon: 1000 and 1000 on full images).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 predictor: dict,
                 num_samples: int = 10,
                 num_ids: int = 256,
                 temperature: float = 0.1,
                 momentum: float = 0.004,
                 target_schedule: str = 'warmup',
                 ignore_empty_parts: bool = True,
                 gather_targets: bool = True,
                 fh_scale: float = 1000,
                 fh_min_size: int = 1000,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, neck=neck, **kwargs)
        self.predictor = MODELS.build(predictor)
        if target_schedule not in TARGET_SCHEDULES:
            raise ValueError(f'target_schedule={target_schedule!r}: use one '
                             f'of {sorted(TARGET_SCHEDULES)}')
        self.target = TARGET_SCHEDULES[target_schedule](nn.Sequential(
            self.backbone, self.neck), momentum)
        self.num_samples, self.num_ids = num_samples, num_ids
        self.temperature = temperature
        self.ignore_empty_parts = ignore_empty_parts
        self.gather_targets = gather_targets
        self.fh_scale, self.fh_min_size = fh_scale, fh_min_size

    # ---------------------------------------------------------- parts ----
    def discover_parts(self, images: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Part maps of training images (BGR uint8): Felzenszwalb segments
        at the image's resolution."""
        from skimage.segmentation import felzenszwalb
        return [
            felzenszwalb(
                img[..., ::-1], scale=self.fh_scale, min_size=self.fh_min_size)
            % self.num_ids for img in images
        ]

    def visual_maps(self, images: torch.Tensor) -> List[VisualMap]:
        """The part maps :meth:`discover_parts` writes for these images."""
        return [discovered_parts_map(self, images)]

    # ----------------------------------------------------------- loss ----
    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        part_masks = read_part_masks(data_samples,
                                     type(self).__name__, self.num_ids,
                                     inputs[0].device)  # (B, 2, H, W)
        feature_maps = [self.backbone(view)[-1] for view in inputs]
        id_maps, ids, valid = sample_parts(part_masks,
                                           feature_maps[0].shape[-2:],
                                           self.num_ids, self.num_samples,
                                           self.ignore_empty_parts)
        preds = torch.stack([
            predict_parts(
                self.predictor,
                embed_parts(self.neck, feature_maps[v], id_maps[v], ids[v]))
            for v in range(2)
        ])
        with torch.no_grad():
            self.target.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            target_backbone, target_neck = self.target.module
            targets = torch.stack([
                embed_parts(target_neck,
                            target_backbone(inputs[v])[-1], id_maps[v], ids[v])
                for v in range(2)
            ])
        return dict(
            loss=part_contrast_loss(preds, targets, ids, valid,
                                    self.temperature, self.gather_targets))

"""Part IoU with the few-shot protocol's test folds.

The protocol (PARTICLE's test_miou.py, after DatasetGAN/CoarseSup) splits
the test list into 5 folds of floor(N/5) images; for each fold, the
checkpoint with the best mIoU on that fold is selected and scored on the
other four. One evaluation pass therefore reports, for every fold ``i``,
``fold{i}_mIoU`` (selection) and ``rest{i}_mIoU`` (score): IoU is
accumulated over all pixels of the fold's images (dataset-level), averaged
over classes including background; ``rest{i}_IoU.<class>`` breaks the
score down per part.
"""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmseg.registry import METRICS

from .datasets import IGNORE_INDEX
from .models import bit_targets


def intersect_union(pred: torch.Tensor, label: torch.Tensor,
                    num_classes: int) -> np.ndarray:
    """``(2, C)`` pixel counts of intersection and union per class for one
    single-label map (pixels labelled ``IGNORE_INDEX`` are skipped)."""
    valid = label != IGNORE_INDEX
    pred, label = pred[valid].long(), label[valid].long()
    inter = torch.bincount(label[pred == label], minlength=num_classes)
    area_pred = torch.bincount(pred, minlength=num_classes)
    area_label = torch.bincount(label, minlength=num_classes)
    return torch.stack([inter, area_pred + area_label - inter]).cpu().numpy()


def multilabel_intersect_union(logits: torch.Tensor, label: torch.Tensor,
                               num_parts: int) -> np.ndarray:
    """``(2, P)`` intersection and union per part for overlapping parts:
    part p is predicted where ``sigmoid(logits[p]) > 0.5`` and present where
    bit p of the label is set."""
    valid = (label != IGNORE_INDEX).unsqueeze(0)
    pred = (logits > 0) & valid
    truth = bit_targets(label[None], num_parts)[0].bool() & valid
    inter = (pred & truth).flatten(1).sum(1)
    union = (pred | truth).flatten(1).sum(1)
    return torch.stack([inter, union]).cpu().numpy()


def mean_iou(stats: np.ndarray) -> float:
    """mIoU (%) from summed ``(2, C)`` stats; classes never present in
    prediction or truth are left out."""
    inter, union = stats
    present = union > 0
    return float(100 * (inter[present] / union[present]).mean())


@METRICS.register_module()
class FewShotPartIoU(BaseMetric):
    """Part mIoU over the test set and over each fold of the protocol.

    Args:
        num_folds: folds of floor(N / num_folds) images, in dataset order.
        multi_label: parts overlap (bit-set labels, per-part sigmoid).
    """
    default_prefix = 'part'

    def __init__(self,
                 num_folds: int = 5,
                 multi_label: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_folds, self.multi_label = num_folds, multi_label

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            label = sample['gt_sem_seg']['data'].squeeze(0)
            if self.multi_label:
                logits = sample['seg_logits']['data']
                stats = multilabel_intersect_union(logits, label, num_classes)
            else:
                pred = sample['pred_sem_seg']['data'].squeeze(0)
                stats = intersect_union(pred, label, num_classes)
            self.results.append(stats)

    def class_iou(self, stats: np.ndarray, prefix: str) -> Dict[str, float]:
        """``{prefix}IoU.<class>`` (%) from summed ``(2, C)`` stats; NaN for
        a class never present in prediction or truth."""
        return {
            f'{prefix}IoU.{name}': float(100 * i / u) if u else float('nan')
            for name, i, u in zip(self.dataset_meta['classes'], *stats)
        }

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        stats = np.stack(results)  # (N, 2, C), dataset order
        metrics = {'mIoU': mean_iou(stats.sum(0))}
        metrics.update(self.class_iou(stats.sum(0), ''))
        fold_size = len(stats) // self.num_folds
        if fold_size == 0:
            return metrics
        folds = stats[:fold_size * self.num_folds].reshape(
            self.num_folds, fold_size, *stats.shape[1:]).sum(1)
        for i in range(self.num_folds):
            rest = np.delete(folds, i, axis=0).sum(0)
            metrics[f'fold{i}_mIoU'] = mean_iou(folds[i])
            metrics[f'rest{i}_mIoU'] = mean_iou(rest)
            # what the protocol reports per part: the score's own classes
            metrics.update(self.class_iou(rest, f'rest{i}_'))
        return metrics

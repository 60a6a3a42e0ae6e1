"""mmengine metrics over the test-time representation of a self-supervisor.

Both metrics read ``data_sample.feature`` (set by
:meth:`FGSelfSupervisor.predict`), ``gt_label`` and the ``eval_role`` meta
field written by :class:`EvalSplitsDataset` (``'query'`` or ``'memory'``).
"""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from .functional import (leave_one_out_retrieval, topk_accuracy,
                         weighted_knn_predict)


class _FeatureMetric(BaseMetric):
    """Collects ``(feature, label, role)`` of every evaluated image."""

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'feature' not in sample:
                raise KeyError(
                    f'{type(self).__name__} needs data_sample.feature: the '
                    'model must be an mmfgssl self-supervisor '
                    '(FGSelfSupervisor subclass) run in predict mode')
            self.results.append(
                dict(
                    feature=sample['feature'].float().cpu(),
                    label=int(sample['gt_label'].reshape(-1)[0]),
                    role=sample.get('eval_role', 'query')))

    @staticmethod
    def _split(results: List[dict], role: str):
        rows = [r for r in results if r['role'] == role]
        if not rows:
            return None, None
        return (torch.stack([r['feature'] for r in rows]),
                torch.tensor([r['label'] for r in rows]))


@METRICS.register_module()
class RetrievalMetric(_FeatureMetric):
    """Leave-one-out retrieval among the query images: Rank-k and mAP.

    Args:
        topk: the ``k`` of the reported Rank-k.
    """
    default_prefix = 'retrieval'

    def __init__(self, topk: Sequence[int] = (1, 5), **kwargs) -> None:
        super().__init__(**kwargs)
        self.topk = tuple(topk)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        features, labels = self._split(results, 'query')
        if features is None:
            raise ValueError('RetrievalMetric received no query images')
        return leave_one_out_retrieval(features, labels, self.topk)


@METRICS.register_module()
class KNNMetric(_FeatureMetric):
    """Weighted kNN classification of query images against a memory bank.

    The memory bank is the set of images with ``eval_role='memory'`` (the
    training split), the queries are the ``'query'`` images.

    Args:
        k: neighbours that vote.
        temperature: vote weight ``exp(similarity / temperature)``.
        topk: reported top-k accuracies.
    """
    default_prefix = 'knn'

    def __init__(self,
                 k: int = 20,
                 temperature: float = 0.07,
                 topk: Sequence[int] = (1, ),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.k, self.temperature, self.topk = k, temperature, tuple(topk)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        memory, memory_labels = self._split(results, 'memory')
        queries, query_labels = self._split(results, 'query')
        if memory is None or queries is None:
            raise ValueError(
                'KNNMetric needs memory and query images: evaluate on an '
                'EvalSplitsDataset with both `query` and `memory` set')
        num_classes = int(max(memory_labels.max(), query_labels.max())) + 1
        scores = weighted_knn_predict(memory, memory_labels, queries,
                                      num_classes, self.k, self.temperature)
        return topk_accuracy(scores, query_labels, self.topk)

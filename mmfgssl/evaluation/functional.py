"""Pure evaluation functions shared by every method: retrieval and kNN.

The protocols follow the LCR and LoDisc code: features are compared by cosine
similarity; retrieval is leave-one-out on the test split (each image queries
all *other* test images); kNN votes with ``exp(sim / T)`` weights as in DINO.
"""
import math
import warnings
from typing import Dict, Sequence

import torch
import torch.nn.functional as F


def leave_one_out_retrieval(features: torch.Tensor,
                            labels: torch.Tensor,
                            topk: Sequence[int] = (1, 5),
                            chunk_size: int = 1024) -> Dict[str, float]:
    """Leave-one-out class-level retrieval within one set of images.

    Args:
        features: ``(N, C)`` features (normalised here).
        labels: ``(N,)`` integer class labels; same class means relevant.
        topk: ranks ``k`` for Rank-k (a query scores 1 if any of its ``k``
            nearest other images shares its class).
        chunk_size: queries processed at once, to bound memory at
            ``chunk_size * N``.

    Returns:
        ``{'Rank-1': ..., 'Rank-5': ..., 'mAP': ...}`` in percent. AP of a
        query is ``mean_k(k / rank_k)`` over its relevant images, where
        ``rank_k`` is the 1-based position of the k-th relevant image in the
        full ranking. A query whose class has no other image has no defined
        Rank-k or AP: it is left out of every metric (with a warning naming
        how many), and the metrics are NaN if no query has a relevant image.
    """
    n = features.shape[0]
    if n < 2:
        raise ValueError(f'retrieval needs at least 2 images, got {n}')
    if labels.shape != (n, ):
        raise ValueError(f'labels shape {tuple(labels.shape)} does not match '
                         f'{n} features')
    features = F.normalize(features.float(), dim=1)
    hits = {k: 0.0 for k in topk}
    ap_sum, ap_count = 0.0, 0
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        sim = features[start:stop] @ features.T
        # Exclude each query from its own gallery.
        sim[torch.arange(stop - start), torch.arange(start, stop)] = -torch.inf
        order = sim.argsort(dim=1, descending=True)[:, :n - 1]
        relevant = labels[order] == labels[start:stop, None]
        num_relevant = relevant.sum(dim=1)
        has_relevant = num_relevant > 0
        for k in topk:
            hits[k] += relevant[:, :k].any(dim=1).sum().item()
        ranks = torch.arange(1, n, dtype=torch.float32)
        precision_at_hit = relevant.cumsum(1).float() / ranks * relevant
        ap = precision_at_hit.sum(1) / num_relevant.clamp(min=1)
        ap_sum += ap[has_relevant].sum().item()
        ap_count += int(has_relevant.sum())
    if ap_count < n:
        warnings.warn(
            f'retrieval: {n - ap_count} of {n} queries have no other image '
            'of their class; their Rank-k and AP are undefined and left out' +
            ('' if ap_count else ' (every metric is undefined: NaN)'))
    if ap_count == 0:
        return {
            name: math.nan
            for name in [f'Rank-{k}' for k in topk] + ['mAP']
        }
    # queries without relevant images never hit, so hits count only others
    result = {f'Rank-{k}': 100.0 * hits[k] / ap_count for k in topk}
    result['mAP'] = 100.0 * ap_sum / ap_count
    return result


def weighted_knn_predict(memory_features: torch.Tensor,
                         memory_labels: torch.Tensor,
                         query_features: torch.Tensor,
                         num_classes: int,
                         k: int = 20,
                         temperature: float = 0.07,
                         chunk_size: int = 1024) -> torch.Tensor:
    """Class scores of a temperature-weighted kNN classifier.

    Each of the ``k`` most cosine-similar memory items votes for its class
    with weight ``exp(similarity / temperature)``.

    Returns:
        ``(num_queries, num_classes)`` summed vote weights.
    """
    if memory_features.shape[0] != memory_labels.shape[0]:
        raise ValueError('memory_features and memory_labels differ in length')
    k = min(k, memory_features.shape[0])
    memory = F.normalize(memory_features.float(), dim=1)
    queries = F.normalize(query_features.float(), dim=1)
    scores = []
    for start in range(0, queries.shape[0], chunk_size):
        sim = queries[start:start + chunk_size] @ memory.T
        top_sim, top_idx = sim.topk(k, dim=1)
        weights = (top_sim / temperature).exp()
        votes = torch.zeros(sim.shape[0], num_classes)
        votes.scatter_add_(1, memory_labels[top_idx], weights)
        scores.append(votes)
    return torch.cat(scores)


def topk_accuracy(
    scores: torch.Tensor, labels: torch.Tensor,
    topk: Sequence[int] = (1, )) -> Dict[str, float]:  # noqa
    """Top-k accuracy in percent, keyed ``'top1'``, ``'top5'``..."""
    maxk = min(max(topk), scores.shape[1])
    pred = scores.topk(maxk, dim=1).indices
    correct = pred == labels[:, None]
    return {
        f'top{k}': 100.0 * correct[:, :k].any(1).float().mean().item()
        for k in topk
    }

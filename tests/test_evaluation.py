"""Retrieval and kNN metrics against brute-force reference computations."""
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample

from mmfgssl.evaluation import (KNNMetric, RetrievalMetric,
                                leave_one_out_retrieval, topk_accuracy,
                                weighted_knn_predict)


def brute_force_retrieval(features, labels, topk):
    """Plain-Python leave-one-out retrieval (the LCR definitions)."""
    feats = [f / np.linalg.norm(f) for f in features.numpy()]
    labels = labels.tolist()
    n = len(feats)
    hits = {k: 0 for k in topk}
    aps = []
    for q in range(n):
        others = [i for i in range(n) if i != q]
        others.sort(key=lambda i: -float(feats[q] @ feats[i]))
        rel = [labels[i] == labels[q] for i in others]
        ranks = [pos + 1 for pos, r in enumerate(rel) if r]
        if not ranks:  # undefined for this query: left out
            continue
        for k in topk:
            hits[k] += any(rel[:k])
        aps.append(sum((j + 1) / r for j, r in enumerate(ranks)) / len(ranks))
    out = {f'Rank-{k}': 100 * hits[k] / len(aps) for k in topk}
    out['mAP'] = 100 * sum(aps) / len(aps)
    return out


def brute_force_knn(mem, mem_labels, queries, num_classes, k, t):
    preds = []
    for q in queries.numpy():
        q = q / np.linalg.norm(q)
        sims = [(float(q @ (m / np.linalg.norm(m))), int(y))
                for m, y in zip(mem.numpy(), mem_labels)]
        sims.sort(key=lambda s: -s[0])
        votes = np.zeros(num_classes)
        for s, y in sims[:k]:
            votes[y] += math.exp(s / t)
        preds.append(int(votes.argmax()))
    return np.array(preds)


@pytest.mark.parametrize('chunk_size', [3, 1024])
def test_retrieval_matches_brute_force(chunk_size):
    g = torch.Generator().manual_seed(0)
    features = torch.randn(23, 8, generator=g)
    labels = torch.randint(0, 4, (23, ), generator=g)
    labels[-1] = 9  # a query whose class has no other image
    with pytest.warns(UserWarning, match='1 of 23 queries have no other'):
        got = leave_one_out_retrieval(features, labels, (1, 5), chunk_size)
    want = brute_force_retrieval(features, labels, (1, 5))
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-4), key


def test_retrieval_hand_example():
    # 1-D features: a=[1,0] b=[0.9,0.1] c=[0,1] d=[0.1,0.9]; labels 0 0 1 0.
    features = torch.tensor([[1., 0.], [.9, .1], [0., 1.], [.1, .9]])
    labels = torch.tensor([0, 0, 1, 0])
    with pytest.warns(UserWarning, match='undefined'):
        got = leave_one_out_retrieval(features, labels, (1, ))
    # a -> b (hit); b -> a (hit); c: no other image of class 1, undefined;
    # d -> c (miss)
    assert got['Rank-1'] == pytest.approx(100 * 2 / 3)
    # AP: a: ranking b,d,c -> rel at 1,2 -> 1; b: a,d,c -> 1;
    # c: no relevant image -> skipped; d: c,b,a -> rel at 2,3 -> (1/2+2/3)/2
    assert got['mAP'] == pytest.approx(100 * (1 + 1 + (0.5 + 2 / 3) / 2) / 3)


def test_retrieval_without_any_relevant_image_is_undefined():
    with pytest.warns(UserWarning, match='every metric is undefined'):
        got = leave_one_out_retrieval(torch.eye(3), torch.arange(3), (1, ))
    assert all(math.isnan(v) for v in got.values())


def test_knn_matches_brute_force():
    g = torch.Generator().manual_seed(1)
    mem = torch.randn(40, 6, generator=g)
    mem_labels = torch.randint(0, 5, (40, ), generator=g)
    queries = torch.randn(17, 6, generator=g)
    scores = weighted_knn_predict(
        mem, mem_labels, queries, 5, k=7, temperature=0.1, chunk_size=4)
    want = brute_force_knn(mem, mem_labels, queries, 5, 7, 0.1)
    assert (scores.argmax(1).numpy() == want).all()


def test_topk_accuracy():
    scores = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.05, 0.15], [0.2, 0.3,
                                                                0.5]])
    labels = torch.tensor([1, 2, 0])
    acc = topk_accuracy(scores, labels, (1, 2))
    assert acc['top1'] == pytest.approx(100 / 3)
    assert acc['top2'] == pytest.approx(100 * 2 / 3)


def _samples(features, labels, role):
    out = []
    for f, y in zip(features, labels):
        s = DataSample().set_gt_label(int(y))
        s.set_field(f, 'feature')
        s.set_metainfo(dict(eval_role=role))
        out.append(s)
    return out


def test_metrics_through_mmengine_evaluator():
    g = torch.Generator().manual_seed(2)
    mem, mem_y = torch.randn(30, 5, generator=g), torch.randint(0, 3, (30, ))
    qry, qry_y = torch.randn(12, 5, generator=g), torch.randint(0, 3, (12, ))
    evaluator = Evaluator(
        [RetrievalMetric(topk=(1, 5)),
         KNNMetric(k=5, temperature=0.07)])
    samples = _samples(mem, mem_y, 'memory') + _samples(qry, qry_y, 'query')
    for start in range(0, len(samples), 8):  # batches, as the test loop does
        evaluator.process(samples[start:start + 8])
    metrics = evaluator.evaluate(len(samples))
    want_ret = brute_force_retrieval(qry, qry_y, (1, 5))
    assert metrics['retrieval/Rank-1'] == pytest.approx(want_ret['Rank-1'])
    assert metrics['retrieval/mAP'] == pytest.approx(want_ret['mAP'], abs=1e-4)
    want_knn = brute_force_knn(mem, mem_y, qry, 3, 5, 0.07)
    assert metrics['knn/top1'] == pytest.approx(
        100 * (want_knn == qry_y.numpy()).mean())


def test_knn_metric_without_memory_says_why():
    metric = KNNMetric()
    metric.process(
        None,
        [s.to_dict() for s in _samples(torch.randn(3, 2), [0, 1, 0], 'query')])
    with pytest.raises(ValueError, match='memory'):
        metric.compute_metrics(metric.results)

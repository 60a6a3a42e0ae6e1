from .functional import (leave_one_out_retrieval, topk_accuracy,
                         weighted_knn_predict)
from .metrics import KNNMetric, RetrievalMetric

__all__ = [
    'leave_one_out_retrieval', 'topk_accuracy', 'weighted_knn_predict',
    'KNNMetric', 'RetrievalMetric'
]

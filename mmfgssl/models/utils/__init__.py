from .clustering import KMeansResult, batched_kmeans, kmeans_plus_plus
from .gradcam import CAM_FORMS, loss_gradcam
from .hypercolumns import RESNET_STAGES, resnet_hypercolumns
from .pooling import mask_pool

__all__ = [
    'KMeansResult', 'batched_kmeans', 'kmeans_plus_plus', 'CAM_FORMS',
    'loss_gradcam', 'RESNET_STAGES', 'resnet_hypercolumns', 'mask_pool'
]

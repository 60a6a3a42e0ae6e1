from .clustering import KMeansResult, batched_kmeans, kmeans_plus_plus
from .ema import RepeatedCosineEMA, WarmupEMA
from .gradcam import CAM_FORMS, loss_gradcam
from .hypercolumns import (RESNET_STAGES, checkpointed_resnet,
                           resnet_hypercolumns, resnet_stages)
from .norm import frozen_bn_statistics
from .pooling import mask_pool
from .vit import (ATTENTION_FUSIONS, AttentionRecorder, attention_map,
                  class_token_attention, fuse_attention, patch_grid,
                  patch_keys, vit_class_token)

__all__ = [
    'KMeansResult', 'batched_kmeans', 'kmeans_plus_plus', 'CAM_FORMS',
    'loss_gradcam', 'RepeatedCosineEMA', 'WarmupEMA', 'RESNET_STAGES',
    'resnet_hypercolumns', 'resnet_stages', 'checkpointed_resnet',
    'frozen_bn_statistics', 'mask_pool', 'ATTENTION_FUSIONS',
    'AttentionRecorder', 'attention_map', 'class_token_attention',
    'fuse_attention', 'patch_grid', 'patch_keys', 'vit_class_token'
]

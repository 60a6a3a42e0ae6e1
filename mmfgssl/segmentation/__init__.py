"""Few-shot part segmentation with mmsegmentation.

Registers datasets, transforms, the decoder and the metric in mmseg's
registries (the backbone is loaded with mmfgssl's strict ``Pretrained``
initialiser, ``mmfgssl.checkpoint``). Part-segmentation
configs load it with ``custom_imports``; the rest of mmfgssl does not import
mmseg's models.
"""
from .datasets import (CropToParts, FlipSwapParts, LoadOIDAircraftParts,
                       LoadPartAnnotations, OIDAircraftPartsDataset,
                       PASCUBPartsDataset, ScoreAtInputSize,
                       SyntheticPartsDataset, few_shot_subset)
from .metrics import (FewShotPartIoU, intersect_union, mean_iou,
                      multilabel_intersect_union)
from .models import PartUpsampleHead, bit_targets

__all__ = [
    'CropToParts', 'FlipSwapParts', 'LoadOIDAircraftParts',
    'LoadPartAnnotations', 'OIDAircraftPartsDataset', 'PASCUBPartsDataset',
    'ScoreAtInputSize', 'SyntheticPartsDataset', 'few_shot_subset',
    'FewShotPartIoU', 'intersect_union', 'mean_iou',
    'multilabel_intersect_union', 'PartUpsampleHead', 'bit_targets'
]

"""Few-shot part segmentation with mmsegmentation.

Registers datasets, transforms, the decoder, the metric (in mmseg's
registries) and the ``StrictPretrained`` initialiser. Part-segmentation
configs load it with ``custom_imports``; the rest of mmfgssl does not import
mmseg's models.
"""
from .datasets import (CropToParts, FlipSwapParts, LoadOIDAircraftParts,
                       LoadPartAnnotations, OIDAircraftPartsDataset,
                       PASCUBPartsDataset, ScoreAtInputSize,
                       SyntheticPartsDataset, few_shot_subset)
from .metrics import (FewShotPartIoU, intersect_union, mean_iou,
                      multilabel_intersect_union)
from .models import PartUpsampleHead, StrictPretrainedInit, bit_targets

__all__ = [
    'CropToParts', 'FlipSwapParts', 'LoadOIDAircraftParts',
    'LoadPartAnnotations', 'OIDAircraftPartsDataset', 'PASCUBPartsDataset',
    'ScoreAtInputSize', 'SyntheticPartsDataset', 'few_shot_subset',
    'FewShotPartIoU', 'intersect_union', 'mean_iou',
    'multilabel_intersect_union', 'PartUpsampleHead', 'StrictPretrainedInit',
    'bit_targets'
]

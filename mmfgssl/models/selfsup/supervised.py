"""The supervised upper bound, evaluated like the self-supervised methods.

Not a self-supervised method: the same backbone (from the same
initialisation) trained with the class labels of the pre-training split, at
the same budget. It derives from ``FGSelfSupervisor`` so that retrieval,
kNN, the linear probe and part segmentation evaluate its pooled backbone
feature exactly as they evaluate every method: the row that says how much
room the methods have.
"""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .base import FGSelfSupervisor


@MODELS.register_module()
class SupervisedBaseline(FGSelfSupervisor):
    """Backbone + linear classifier on the pooled feature, cross-entropy
    with label smoothing.

    Args:
        backbone: the backbone config (e.g. the synthetic configs' CPU
            ResNet with its generic initialisation).
        num_classes: classes of the training split.
        feature_dim: channels of the pooled backbone feature.
        label_smoothing: of the cross-entropy.
    """

    def __init__(self,
                 backbone: dict,
                 num_classes: int,
                 feature_dim: int,
                 label_smoothing: float = 0.1,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, **kwargs)
        self.classifier = torch.nn.Linear(feature_dim, num_classes)
        self.label_smoothing = label_smoothing

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        images = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        labels = torch.cat([ds.gt_label for ds in data_samples])
        logits = self.classifier(self.extract_test_feature(images))
        return dict(
            loss=F.cross_entropy(
                logits,
                labels.to(logits.device),
                label_smoothing=self.label_smoothing))

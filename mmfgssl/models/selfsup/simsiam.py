"""SimSiam (Chen and He, CVPR 2021) evaluated on its pooled backbone feature:
the second base that SynthPairs (``synthpairs.py``) improves.

Same modules and loss as mmpretrain's ``SimSiam``: each view's projection
``z`` (a 3-layer MLP on the pooled backbone feature) is mapped by the
predictor to ``p``, and ``L = (D(p1, sg(z2)) + D(p2, sg(z1))) / 2`` with
``D`` the negative cosine similarity (``LatentPredictHead`` with
``CosineSimilarityLoss``). The step is split into the pieces methods built
on SimSiam reuse: :meth:`FGSimSiam.embed` keeps the last feature map.
mmpretrain's recipe keeps the predictor's learning rate fixed
(``SimSiamHook`` with ``paramwise_cfg`` ``fix_lr``, see
``configs/simsiam_cub.py``).
"""
from typing import Dict, List, Tuple

import torch
from mmpretrain.models.selfsup import SimSiam
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .base import FGSelfSupervisor


@MODELS.register_module()
class FGSimSiam(FGSelfSupervisor, SimSiam):
    """mmpretrain's SimSiam with a test-time representation (the pooled
    backbone feature) and predict mode."""

    def embed(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The last backbone feature map of ``images`` and its projection
        ``z`` ``(N, D)``."""
        feature_map = self.backbone(images)[-1]
        return feature_map, self.neck((feature_map, ))[0]

    def similarity_loss(self, z1: torch.Tensor,
                        z2: torch.Tensor) -> torch.Tensor:
        """The symmetric SimSiam loss of two views' projections."""
        return 0.5 * (self.head.loss(z1, z2) + self.head.loss(z2, z1))

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        z1, z2 = (self.embed(view)[1] for view in inputs[:2])
        return dict(loss=self.similarity_loss(z1, z2))

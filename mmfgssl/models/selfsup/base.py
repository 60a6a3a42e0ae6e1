"""The base of every mmfgssl self-supervised algorithm.

mmpretrain's ``BaseSelfSupervisor`` has only ``tensor`` and ``loss`` modes.
``FGSelfSupervisor`` adds ``predict``, which attaches the method's test-time
representation (``extract_test_feature``) to each data sample as
``data_sample.feature``. Retrieval, kNN, online evaluation and the linear
probe all consume that one method, so every algorithm is evaluated on the
representation its paper defines.
"""
from typing import List, Optional, Union

import torch
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample


class FGSelfSupervisor(BaseSelfSupervisor):
    """Self-supervisor with a test-time representation and predict mode."""

    def forward(self,
                inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def extract_test_feature(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(N, C)`` test-time representation of a batch of images.

        The default is the globally average-pooled last backbone output (or
        the output itself if it is already a vector, e.g. a ViT class token).
        """
        feat = self.backbone(inputs)[-1]
        return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat

    def preprocess_images(self, images: torch.Tensor) -> torch.Tensor:
        """Normalise a ``(N, 3, H, W)`` uint8 BGR batch as the data
        preprocessor does for training and testing."""
        return self.data_preprocessor(
            dict(inputs=images, data_samples=None), False)['inputs']

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]]) -> List[DataSample]:
        features = self.extract_test_feature(inputs)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(features.shape[0])]
        for sample, feature in zip(data_samples, features):
            sample.set_field(feature, 'feature', field_type='data')
        return data_samples

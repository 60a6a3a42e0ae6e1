"""The base of every mmfgssl self-supervised algorithm, and the two optional
contracts a method can add.

mmpretrain's ``BaseSelfSupervisor`` has only ``tensor`` and ``loss`` modes.
``FGSelfSupervisor`` adds ``predict``, which attaches the method's test-time
representation (``extract_test_feature``) to each data sample as
``data_sample.feature``. Retrieval, kNN, online evaluation and the linear
probe all consume that one method, so every algorithm is evaluated on the
representation its paper defines.

``visual_maps`` is what ``tools/visualize.py`` draws: the maps a method
computes over an image (GradCAM, rationale, attention, parts, decodings).
``PartDiscoverer`` is the contract of methods whose training data are part
maps they discover themselves (``PartMapHook`` writes them).
"""
from typing import List, NamedTuple, Optional, Sequence, Union

import numpy as np
import torch
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

MAP_KINDS = ('heat', 'labels', 'image', 'channels')


class VisualMap(NamedTuple):
    """One column of ``tools/visualize.py``.

    ``kind`` says how ``values`` are drawn over the input: ``'heat'``, a
    ``(N, h, w)`` float map as a heatmap; ``'labels'``, a ``(N, h, w)``
    integer map in distinct colours; ``'image'``, a ``(N, 3, H, W)`` uint8
    BGR image shown as it is; ``'channels'``, a ``(N, C)`` boolean mask over
    feature channels, drawn as a row-major grid of cells (True in red).
    """
    title: str
    kind: str
    values: torch.Tensor


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
        """``(N, C)`` test-time representation of a batch of images. It must
        not depend on the other images of the batch: retrieval features are
        computed in batches of any size, on any number of processes.

        The default is the globally average-pooled last backbone output (or
        the output itself if it is already a vector, e.g. a ViT class token).
        """
        feat = self.backbone(inputs)[-1]
        return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat

    def visual_maps(self, images: torch.Tensor) -> List[VisualMap]:
        """The maps ``tools/visualize.py`` draws over ``images``, a
        ``(N, 3, H, W)`` uint8 BGR batch as the test pipeline produces it
        (:meth:`preprocess_images` normalises it); methods with maps of
        their own override this."""
        raise NotImplementedError(
            f'{type(self).__name__} has no maps to draw (it does not '
            'override visual_maps)')

    def preprocess_images(self, images: torch.Tensor) -> torch.Tensor:
        """Normalise a ``(N, 3, H, W)`` uint8 BGR batch as the data
        preprocessor does for training and testing."""
        return self.data_preprocessor(
            dict(inputs=images, data_samples=None), False)['inputs']

    def postprocess_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`preprocess_images`: images in the
        normalised input space (e.g. decoded ones) as ``(N, 3, H, W)``
        uint8 BGR, clipped to [0, 255]."""
        pre = self.data_preprocessor
        pixels = inputs * pre.std + pre.mean
        if pre._channel_conversion:
            pixels = pixels.flip(1)
        return pixels.clamp(0, 255).round().to(torch.uint8)

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]]) -> List[DataSample]:
        features = self.extract_test_feature(inputs)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(features.shape[0])]
        for sample, feature in zip(data_samples, features):
            sample.set_field(feature, 'feature', field_type='data')
        return data_samples


class PartDiscoverer:
    """Mixin of algorithms that train on part maps they discover themselves
    (DetCon: Felzenszwalb segments; PARTICLE: clusters of its own features).

    ``PartMapHook`` calls :meth:`discover_parts` on the training images
    before training and, when ``epochs_per_round`` is set, at the start of
    every round of that many epochs (PARTICLE's iteration of discovery and
    training), and writes the maps where the training dataset (a
    ``PartMapDataset``) reads them.
    """
    epochs_per_round: Optional[int] = None

    def discover_parts(self, images: Sequence[np.ndarray]) -> List[np.ndarray]:
        """One integer part map per image (``images``: BGR uint8 arrays of
        any size). A map may be smaller than its image; it is resized
        (nearest) to the image when read."""
        raise NotImplementedError

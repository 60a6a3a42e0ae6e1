"""PARTICLE: Part Discovery and Contrastive Learning for Fine-grained
Recognition (Saha and Maji, ICCV-W 2023).

An iterative method. Step I, part discovery: the pixel features of the
current model are clustered into K parts per image. Step II, part-contrastive
training: DetCon-B on those parts (``detcon.py``). The next round clusters
again with the model just trained. ``PartMapHook`` runs the rounds inside one
``tools/train.py`` run; this class defines what is discovered.

Defaults follow the official code (cvl-umass/PARTICLE, ResNet variant):
hypercolumns of the stem (max-pooled), layer1, layer2 and layer3, each
bilinearly resized to a 64x64 grid and L2-normalised, of the whole image
resized to 224x224 (that path is commented out in the released code, whose
clustering script no longer runs; it is the evident intent), clustered per
image into K=15 parts. The code uses sklearn KMeans image by image
(k-means++, max_iter=500, n_init=10 in the sklearn 1.0 it pins); here one
batched torch k-means++ clusters all images of a batch on the device, coarse
to fine (see ``mmfgssl/models/utils/clustering.py`` and
``benchmarks/kmeans_speed.py``).
"""
from typing import List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmpretrain.registry import MODELS

from ..utils import batched_kmeans, resnet_hypercolumns
from .base import FGSelfSupervisor
from .detcon import DetCon


def discovery_inputs(model: FGSelfSupervisor, images: Sequence[np.ndarray],
                     size: int) -> torch.Tensor:
    """Training images (BGR uint8 arrays of any size) as PARTICLE's
    discovery sees them: whole images resized (bicubic) to ``size`` x
    ``size``, normalised as ``model``'s data preprocessor does."""
    batch = torch.stack([
        torch.from_numpy(
            cv2.resize(img, (size, size),
                       interpolation=cv2.INTER_CUBIC)).permute(2, 0, 1)
        for img in images
    ])
    return model.preprocess_images(batch)


@MODELS.register_module()
class PARTICLE(DetCon):
    """DetCon-B on parts discovered by clustering the model's hypercolumns.

    Args:
        num_parts: K clusters per image (15 in the code).
        discovery_size: images are resized to this square before feature
            extraction (224 in the code).
        discovery_grid: side of the hypercolumn grid that is clustered (64).
        hypercolumn_stages: ResNet stages concatenated into hypercolumns.
        kmeans: arguments of :func:`batched_kmeans` (iterations, seedings,
            seed, and its coarse stage: points sampled per image, random
            projection, full-dimension refinement iterations).
        epochs_per_round: parts are discovered again with the model trained
            so far every this many epochs (``PartMapHook``); ``None``
            discovers once, as the released code (one round).
        **kwargs: DetCon arguments (backbone, neck, predictor, num_samples,
            temperature, momentum, ...); ``num_ids`` is set to ``num_parts``.
    """

    def __init__(self,
                 num_parts: int = 15,
                 discovery_size: int = 224,
                 discovery_grid: int = 64,
                 hypercolumn_stages: Sequence[str] = ('stem', 'layer1',
                                                      'layer2', 'layer3'),
                 kmeans: dict = dict(
                     num_iters=30,
                     n_init=8,
                     seed=0,
                     sample_size=1024,
                     project_dim=64,
                     refine_iters=10,
                     local_trials=4),
                 epochs_per_round: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(num_ids=num_parts, **kwargs)
        if epochs_per_round is not None and epochs_per_round < 1:
            raise ValueError(f'epochs_per_round={epochs_per_round} < 1')
        self.epochs_per_round = epochs_per_round
        self.num_parts = num_parts
        self.discovery_size, self.discovery_grid = (discovery_size,
                                                    discovery_grid)
        self.hypercolumn_stages = tuple(hypercolumn_stages)
        self.kmeans = dict(kmeans)

    @torch.no_grad()
    def discover_parts(self, images: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Part maps (``discovery_grid`` square, ids ``0..num_parts-1``) of
        training images given as BGR uint8 arrays, with the current online
        backbone."""
        inputs = discovery_inputs(self, images, self.discovery_size)
        was_training = self.backbone.training
        self.backbone.eval()
        features = resnet_hypercolumns(self.backbone, inputs,
                                       self.hypercolumn_stages,
                                       self.discovery_grid)
        self.backbone.train(was_training)
        points = features.flatten(2).transpose(1, 2)  # (B, grid^2, D)
        labels = batched_kmeans(points, self.num_parts, **self.kmeans).labels
        grid = (self.discovery_grid, self.discovery_grid)
        return [m.view(grid).cpu().numpy().astype(np.uint8) for m in labels]

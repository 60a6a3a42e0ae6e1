"""A self-supervised checkpoint's test-time representation as a backbone.

Linear probes (and any other classifier on frozen features) use
``SelfSupFeature`` as the backbone of mmpretrain's ``ImageClassifier``. It
rebuilds the self-supervised algorithm from the model config the checkpoint
stores as plain data (``meta.model_config``, written by ``FGRunner``; config
text is never executed), loads the weights strictly and returns
``algorithm.extract_test_feature(x)``: the same representation that
retrieval and kNN evaluate (rationale-pooled for LCR, plain GAP for MoCo v2,
...). A checkpoint that does not match the algorithm fails loudly instead of
leaving random weights in place.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.registry import MODELS

from ...checkpoint import load_state_dict_strict, state_dict_of
from ..selfsup.base import FGSelfSupervisor


def algorithm_config_from_checkpoint(checkpoint: dict, path: str) -> dict:
    """The model config ``FGRunner`` stores as plain data in
    ``checkpoint['meta']['model_config']``."""
    model = checkpoint.get('meta', {}).get('model_config')
    if not isinstance(model, dict):
        raise ValueError(
            f'{path} stores no model config as data (meta.model_config, '
            'written by mmfgssl\'s FGRunner); pass the algorithm config '
            'explicitly as model.backbone.algorithm')
    return model


@MODELS.register_module()
class SelfSupFeature(BaseModule):
    """Frozen test-time representation of a self-supervised checkpoint.

    Args:
        checkpoint: path of the self-supervised checkpoint (from
            ``tools/train.py``), usually given on the command line with
            ``--cfg-options model.backbone.checkpoint=...``.
        algorithm: config of the self-supervised algorithm. ``None`` reads it
            from the checkpoint's stored training config.
        algorithm_overrides: top-level arguments of the algorithm replaced
            before it is built, e.g. ``dict(test_feature='cls')`` to probe
            a MoCo v3 / LoDisc checkpoint on its class token (the LoDisc
            code's linear probe) rather than its retrieval feature.
        normalize: L2-normalise the representation. The LCR linear probe
            (SGD lr 30) runs on L2-normalised features; doing the same for
            every method keeps that recipe stable (MoCo v2's raw pooled
            feature diverges at lr 30). ``False`` gives the raw feature.
    """

    def __init__(self,
                 checkpoint: str,
                 algorithm: Optional[dict] = None,
                 algorithm_overrides: Optional[dict] = None,
                 normalize: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not checkpoint:
            raise ValueError(
                'SelfSupFeature: model.backbone.checkpoint is empty. Pass the '
                'self-supervised checkpoint, e.g. --cfg-options '
                'model.backbone.checkpoint=work_dirs/mocov2_synthetic/'
                'epoch_100.pth')
        state = _load_checkpoint(checkpoint, map_location='cpu')
        if algorithm is None:
            algorithm = algorithm_config_from_checkpoint(state, checkpoint)
        algorithm = dict(algorithm, **(algorithm_overrides or {}))
        self.algorithm = MODELS.build(algorithm)
        if not isinstance(self.algorithm, FGSelfSupervisor):
            raise TypeError(
                f'{type(self.algorithm).__name__} has no test-time '
                'representation: SelfSupFeature needs an mmfgssl '
                'self-supervised algorithm (FGSelfSupervisor subclass)')
        load_state_dict_strict(self.algorithm,
                               state_dict_of(state, checkpoint), checkpoint)
        self.algorithm.requires_grad_(False).eval()
        self.checkpoint = checkpoint
        self.normalize = normalize

    def init_weights(self) -> None:
        """Weights come from the checkpoint; never re-initialise them."""

    def train(self, mode: bool = True) -> 'SelfSupFeature':
        super().train(mode)
        self.algorithm.eval()  # frozen: BN statistics stay fixed
        return self

    @torch.no_grad()
    def forward(self, inputs: torch.Tensor) -> tuple:
        feature = self.algorithm.extract_test_feature(inputs)
        if self.normalize:
            feature = F.normalize(feature, dim=1)
        return (feature, )

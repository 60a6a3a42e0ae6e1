"""MoCo v3 (Chen, Xie, He; ICCV 2021) on a ViT, as the LoDisc code runs it:
the baseline every LoDisc number is compared with (``lodisc.py`` adds the
local branch to this class).

An online encoder (ViT, optionally a projector) with a predictor, and a
momentum encoder (an EMA of the online encoder). Each view's prediction is
contrasted with the momentum key of the other view, the keys of the other
images of the global batch being the negatives:
``L = ctr(q1, k2) + ctr(q2, k1)`` with ``ctr(q, k) = 2T * CE(q k^T / T)``
(:func:`mocov3_loss`).

Switches for what the LoDisc code does (it is MoCo v3's code with changes):

* ``use_projector=False``: the code builds MoCo v3's 3-layer projector on
  both encoders and never calls it (its ViT's forward skips the head), so
  keys are the momentum encoder's class token and predictions are
  ``predictor(class token)``; ``True`` runs MoCo v3 with its projector.
* ``ema_updates_per_step``: the code updates the momentum encoder four
  times per step with the same momentum and online weights (effective
  momentum ``m ** 4``); MoCo v3 once. The updates are applied as one
  (:class:`RepeatedCosineEMA`).
* ``test_feature``: ``'predictor'``, the L2-normalised predictor output of
  the online encoder, the code's retrieval feature; ``'cls'``, the online
  class token after the final norm, the feature of its linear probe.
* The predictor's dropout (0.2 after each hidden ReLU in the code) is in
  its config (``DropoutNonLinearNeck``).

The class is ``FGMoCoV3`` because mmpretrain registers its own ``MoCoV3``
(projector always on, predictor inside ``MoCoV3Head``). That head runs the
predictor inside each contrast; here a view's prediction is computed once,
because LoDisc contrasts it twice (with one dropout draw and one batch-norm
update, as the code).
"""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import RepeatedCosineEMA
from .base import FGSelfSupervisor

TEST_FEATURES = ('predictor', 'cls')


def contrastive_loss(preds: torch.Tensor, keys: torch.Tensor,
                     temperature: float) -> torch.Tensor:
    """MoCo v3's ``ctr``: cross-entropy of each prediction against the keys
    of all processes' images (its own image's key is the positive), times
    ``2 * temperature``. ``preds``, ``keys``: ``(N, D)``, not normalised."""
    preds = F.normalize(preds, dim=1)
    keys = torch.cat(all_gather(F.normalize(keys, dim=1)), dim=0)
    logits = preds @ keys.t() / temperature
    labels = torch.arange(
        preds.shape[0], device=preds.device) + preds.shape[0] * get_rank()
    return F.cross_entropy(logits, labels) * (2 * temperature)


def mocov3_loss(preds: List[torch.Tensor], keys: List[torch.Tensor],
                temperature: float) -> torch.Tensor:
    """The symmetric loss of two views: ``ctr(q1, k2) + ctr(q2, k1)``."""
    return (contrastive_loss(preds[0], keys[1], temperature) +
            contrastive_loss(preds[1], keys[0], temperature))


@MODELS.register_module()
class FGMoCoV3(FGSelfSupervisor):
    """MoCo v3 with the LoDisc code's switches (see the module docstring).

    Args:
        backbone: a ViT returning its class token
            (``out_type='cls_token'``).
        predictor: the online predictor (a neck config).
        neck: the projector, built and used only if ``use_projector``.
        use_projector: see the module docstring.
        temperature: of the contrastive loss (0.2 in the LoDisc code).
        base_momentum: ``1 - m`` at the start (mmengine's EMA convention),
            annealed by a cosine to ``end_momentum`` (0: ``m`` reaches 1).
        end_momentum: see ``base_momentum``.
        ema_updates_per_step: see the module docstring.
        test_feature: see the module docstring.
    """

    def __init__(self,
                 backbone: dict,
                 predictor: dict,
                 neck: Optional[dict] = None,
                 use_projector: bool = False,
                 temperature: float = 0.2,
                 base_momentum: float = 0.01,
                 end_momentum: float = 0.,
                 ema_updates_per_step: int = 1,
                 test_feature: str = 'predictor',
                 **kwargs) -> None:
        if use_projector and neck is None:
            raise ValueError('use_projector=True needs a projector config in '
                             'model.neck')
        if test_feature not in TEST_FEATURES:
            raise ValueError(f'test_feature={test_feature!r}: use one of '
                             f'{TEST_FEATURES}')
        super().__init__(
            backbone=backbone, neck=neck if use_projector else None, **kwargs)
        if not (isinstance(self.backbone, VisionTransformer)
                and self.backbone.out_type == 'cls_token'):
            out_type = getattr(self.backbone, 'out_type', None)
            raise ValueError(
                f'{type(self).__name__} needs a VisionTransformer backbone '
                "with out_type='cls_token', got "
                f'{type(self.backbone).__name__} (out_type={out_type!r})')
        self.predictor = MODELS.build(predictor)
        self.temperature = temperature
        self.test_feature = test_feature
        self.momentum_encoder = RepeatedCosineEMA(
            self.online_encoder(),
            momentum=base_momentum,
            end_momentum=end_momentum,
            updates_per_step=ema_updates_per_step)

    def online_encoder(self) -> nn.Sequential:
        """Backbone and (if used) projector: what the momentum encoder
        averages. Its output is a tuple whose last entry is ``(N, D)``."""
        modules = [self.backbone] + ([self.neck] if self.with_neck else [])
        return nn.Sequential(*modules)

    def online_prediction(self, images: torch.Tensor) -> torch.Tensor:
        """``predictor(encoder(images))``, ``(N, D)``."""
        embedding = self.online_encoder()(images)[-1]
        return self.predictor((embedding, ))[0]

    @torch.no_grad()
    def update_momentum_encoder(self) -> None:
        self.momentum_encoder.update_parameters(self.online_encoder())

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        # The momentum passes run first, while no autograd graph is alive,
        # so they add nothing to the step's peak memory (the online weights
        # do not change within a step: same result as the code's order).
        self.update_momentum_encoder()
        with torch.no_grad():
            keys = [self.momentum_encoder(view)[-1] for view in inputs]
        preds = [self.online_prediction(view) for view in inputs]
        return dict(loss=mocov3_loss(preds, keys, self.temperature))

    def extract_test_feature(self, inputs: torch.Tensor) -> torch.Tensor:
        """The ``test_feature`` of ``inputs`` (see the module docstring)."""
        if self.test_feature == 'cls':
            return self.backbone(inputs)[-1]
        return F.normalize(self.online_prediction(inputs), dim=1)

"""LCR: Learning Common Rationale (Shu, van den Hengel, Liu; CVPR 2023).

MoCo v2 plus a branch of limited capacity that fits the GradCAM of the
contrastive loss on the query encoder's last feature map. Because the branch
can only express patterns that recur across images, it learns the "common
rationales" (discriminative parts); at test time its map re-weights the
pooling of the feature map.

Defaults follow the official code (GANPerf/LCR, MoCo v2 variant); each choice
the code makes implicitly is a switch:

* ``cam_form='grad_x_act'``: ReLU(sum_c A * dL/dA) per position, as the code;
  ``'gradcam'`` is the textbook channel-weighted Grad-CAM.
* ``cam_sign=1``: gradient of the loss, as the code; ``-1`` uses the gradient
  of the similarity the loss rewards.
* ``detach_cam=False``: the code lets the KL loss reach the backbone through
  its GradCAM target too; ``True`` makes the target a constant (as SAM does).
* ``kl_softmax='row'``: the code softmaxes each row of the unflattened map;
  ``'map'`` softmaxes over all positions (the BYOL variant and SAM).
* ``kl_temperature=1``: no temperature in the MoCo code; the BYOL variant
  and SAM use 0.4.
* ``attention_norm='batch'``: during training the map is min-max
  normalised over the whole batch, as the code; ``'image'`` normalises each
  map on its own.
* ``test_attention_norm='image'``: the test-time map is normalised per image,
  so an image's feature does not depend on the batch it is computed in (nor
  on the number of processes); it equals the code's feature for a batch of
  one image. ``'batch'`` is the code's inference (min-max over the test
  batch), for comparisons with its numbers.

The KL term is summed over the batch (``reduction='sum'``) with weight
``kl_weight=0.01``, so its scale grows with the per-process batch size, as in
the code. The code's unused second contrastive branch (qmax/kmax and a second
queue) is not reproduced.
"""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import loss_gradcam, mask_pool
from .base import VisualMap
from .mocov2 import ContrastiveStep, MoCoV2


def minmax_normalize(maps: torch.Tensor,
                     per_image: bool,
                     eps: float = 1e-7) -> torch.Tensor:
    """Scale ``(N, H, W)`` maps to [0, 1], over the batch or per image."""
    dims = (1, 2) if per_image else (0, 1, 2)
    maps = maps - maps.amin(dim=dims, keepdim=True)
    return maps / (maps.amax(dim=dims, keepdim=True) + eps)


def rationale_kl_loss(attention: torch.Tensor,
                      cam: torch.Tensor,
                      softmax_over: str = 'row',
                      temperature: float = 1.0) -> torch.Tensor:
    """``sum KL(softmax(cam / T) || softmax(attention / T))`` over the batch.

    Args:
        attention: ``(N, H, W)`` rationale maps (the prediction).
        cam: ``(N, H, W)`` GradCAM maps (the target).
        softmax_over: ``'row'`` normalises over the last axis (each row of W
            positions, as the LCR code on unflattened maps); ``'map'`` over
            all H*W positions.
        temperature: divides both maps before the softmax.
    """
    if softmax_over == 'map':
        attention, cam = attention.flatten(1), cam.flatten(1)
    elif softmax_over != 'row':
        raise ValueError(f"kl_softmax={softmax_over!r}: use 'row' or 'map'")
    log_pred = F.log_softmax(attention / temperature, dim=-1)
    target = F.softmax(cam / temperature, dim=-1)
    return F.kl_div(log_pred, target, reduction='sum')


@MODELS.register_module()
class LCR(MoCoV2):
    """MoCo v2 with a common-rationale branch fitted to the loss's GradCAM.

    Args:
        rationale_branch: config of the branch (:class:`RationaleBranch`).
        kl_weight: weight of the KL term (nu; 0.01).
        cam_form, cam_sign, detach_cam, kl_softmax, kl_temperature,
        attention_norm, test_attention_norm: see the module docstring.
        **kwargs: MoCo v2 arguments (backbone, neck, head, queue_len, ...).
    """

    def __init__(self,
                 rationale_branch: dict,
                 kl_weight: float = 0.01,
                 cam_form: str = 'grad_x_act',
                 cam_sign: float = 1.0,
                 detach_cam: bool = False,
                 kl_softmax: str = 'row',
                 kl_temperature: float = 1.0,
                 attention_norm: str = 'batch',
                 test_attention_norm: str = 'image',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        for name, value in (('attention_norm', attention_norm),
                            ('test_attention_norm', test_attention_norm)):
            if value not in ('batch', 'image'):
                raise ValueError(f"{name}={value!r}: use 'batch' or 'image'")
        self.rationale_branch = MODELS.build(rationale_branch)
        self.kl_weight = kl_weight
        self.cam_form, self.cam_sign = cam_form, cam_sign
        self.detach_cam = detach_cam
        self.kl_softmax, self.kl_temperature = kl_softmax, kl_temperature
        self.attention_norm = attention_norm
        self.test_attention_norm = test_attention_norm

    def rationale_map(self, feature_map: torch.Tensor,
                      norm: str) -> torch.Tensor:
        """``(N, H, W)`` rationale map of a feature map, min-max normalised
        over the batch (``norm='batch'``) or per image (``'image'``)."""
        return minmax_normalize(
            self.rationale_branch(feature_map), per_image=norm == 'image')

    def gradcam(self, step: ContrastiveStep) -> torch.Tensor:
        """GradCAM of the step's InfoNCE loss on its query feature map."""
        cam = loss_gradcam(step.loss, step.feature_map, self.cam_form,
                           self.cam_sign)
        return cam.detach() if self.detach_cam else cam

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        step = self.contrastive_step(inputs)
        attention = self.rationale_map(step.feature_map, self.attention_norm)
        loss_kl = rationale_kl_loss(attention, self.gradcam(step),
                                    self.kl_softmax, self.kl_temperature)
        self._dequeue_and_enqueue(step.keys)
        return dict(loss=step.loss, loss_rationale=self.kl_weight * loss_kl)

    def extract_test_feature(self, inputs: torch.Tensor) -> torch.Tensor:
        """L2-normalised rationale-weighted average of the last feature map
        (the weights are not renormalised, as in the code)."""
        feature_map = self.backbone(inputs)[-1]
        weights = self.rationale_map(feature_map, self.test_attention_norm)
        pooled = mask_pool(
            feature_map, weights.unsqueeze(1), normalize=False)[:, 0]
        return F.normalize(pooled, dim=1)

    def visual_maps(self, images: torch.Tensor) -> List[VisualMap]:
        """GradCAM of the InfoNCE loss (the image as query, its horizontal
        flip as key, against the queue) and the rationale map that
        re-weights pooling at test time."""
        inputs = self.preprocess_images(images)
        step = self.contrastive_step([inputs, inputs.flip(3)])
        cam = self.gradcam(step).detach()
        with torch.no_grad():
            rationale = self.rationale_map(step.feature_map,
                                           self.test_attention_norm)
        return [
            VisualMap('GradCAM of the InfoNCE loss', 'heat', cam),
            VisualMap('rationale map', 'heat', rationale)
        ]

"""DINO: self-distillation with no labels (Caron et al., ICCV 2021), as the
PARTICLE code trains it (its ``train_particle_vit.py`` is DINO's
``main_dino.py`` plus a part loss, ``particle_vit.py``).

A student (ViT and :class:`DINOHead`) learns to predict, for every crop of
an image, the output distribution of a teacher on the *other* crops. The
teacher is an EMA of the student (momentum 0.996 annealed to 1 by a cosine,
mmpretrain's ``CosineEMA``) and sees only the two global crops. Collapse is
avoided by centering and sharpening the teacher:

    L = mean over pairs (i in global crops, v in all crops, v != i) of
        H(softmax((t_i - c) / tau_t), softmax(s_v / tau_s))

(:func:`dino_loss`), where the centre ``c`` (a buffer) is an EMA (momentum
0.9) of the teacher outputs' mean over the global batch, updated after the
loss (:func:`updated_center`), ``tau_s = 0.1``, and ``tau_t`` warms up
linearly from 0.04 to 0.07 over the first epochs, per epoch as DINO
(:func:`teacher_temperature`; the epoch is read from mmengine's
``MessageHub``).

What follows DINO and the PARTICLE code:

* multi-crop: the first two views are the global crops, any further views
  local crops seen by the student only (views of equal size go through the
  ViT as one batch, as DINO's ``MultiCropWrapper``); the PARTICLE recipe
  uses 2 global crops and no local one;
* the teacher starts as a copy of the initialised student (also before any
  step: a 0-epoch checkpoint holds the initialisation in both) and has no
  stochastic depth: it runs in eval mode, which for a ViT and this head
  (no batch norm) only disables drop path, as DINO builds its teacher with
  ``drop_path_rate=0``;
* per-tensor gradient clipping and the last layer frozen in the first
  epoch(s): ``DINOGradientHook`` (``mmfgssl/engine/gradients.py``), which
  every DINO runtime config adds;
* the test-time representation is the teacher's class token after the
  final norm, what DINO's and PARTICLE's linear probes evaluate
  (``checkpoint_key teacher``).

By design the EMA update is applied at the start of a step, with the
student as the previous step left it: the teacher each forward pass sees is
the official one (the official loop updates right after the optimiser
step); its momentum is that of this step instead of the previous one.

Switches (``model.*``):

* ``base_momentum`` / ``end_momentum``: ``1 - m`` in mmengine's EMA
  convention at the start / end of the cosine (0.004 / 0: m from 0.996 to 1).
* ``student_temperature``: tau_s (0.1).
* ``teacher_temperature``, ``warmup_teacher_temperature``,
  ``teacher_temperature_warmup_epochs``: tau_t after / at the start of its
  linear warm-up, and its length (0.07, 0.04, 20 in PARTICLE; DINO: 30).
* ``center_momentum``: of the centre's EMA (0.9).
* ``freeze_last_layer``: epochs during which the head's last layer is not
  updated (1).
* ``head.norm_last_layer``: fix the prototypes' norms (PARTICLE: False).
"""
from typing import Dict, List, NamedTuple, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce, get_world_size
from mmengine.logging import MessageHub
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import CosineEMA
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..necks import DINOHead
from ..utils import AttentionRecorder, patch_grid
from .base import FGSelfSupervisor, VisualMap

BACKBONE_OUT_TYPES = ('cls_token', 'raw')


def teacher_temperature(epoch: int, start: float, end: float,
                        warmup_epochs: int) -> float:
    """DINO's per-epoch teacher temperature:
    ``linspace(start, end, warmup_epochs)[epoch]``, then ``end``."""
    if epoch >= warmup_epochs:
        return end
    if warmup_epochs == 1:
        return start
    return start + (end - start) * epoch / (warmup_epochs - 1)


def dino_loss(student_logits: Sequence[torch.Tensor],
              teacher_logits: Sequence[torch.Tensor], center: torch.Tensor,
              student_temperature: float,
              teacher_temperature: float) -> torch.Tensor:
    """DINO's cross-entropy between the centred, sharpened teacher
    distribution of each global crop and the student's distribution of
    every other crop, averaged over those pairs.

    Args:
        student_logits: ``(B, K)`` per crop, global crops first.
        teacher_logits: ``(B, K)`` per global crop.
        center: ``(1, K)`` teacher centre.
    """
    targets = [
        F.softmax((t - center) / teacher_temperature, dim=-1)
        for t in teacher_logits
    ]
    log_probs = [
        F.log_softmax(s / student_temperature, dim=-1) for s in student_logits
    ]
    terms = [
        -(q * log_p).sum(dim=-1).mean() for i, q in enumerate(targets)
        for v, log_p in enumerate(log_probs) if v != i
    ]
    return sum(terms) / len(terms)


@torch.no_grad()
def updated_center(center: torch.Tensor,
                   teacher_logits: Sequence[torch.Tensor],
                   momentum: float) -> torch.Tensor:
    """The centre after one step: ``momentum * c + (1 - momentum) * mean``
    of the teacher outputs of all global crops of all processes (as DINO,
    which assumes the same batch size on every process)."""
    outputs = torch.cat(list(teacher_logits))
    batch_sum = outputs.sum(dim=0, keepdim=True)
    all_reduce(batch_sum)
    batch_mean = batch_sum / (outputs.shape[0] * get_world_size())
    return center * momentum + batch_mean * (1 - momentum)


class DINOStep(NamedTuple):
    """What a DINO step computes, for methods that build on it."""
    loss: torch.Tensor  # DINO loss (in the student's graph)
    student_outputs: List[torch.Tensor]  # backbone outputs per crop
    teacher_outputs: List[torch.Tensor]  # per global crop, no graph


def backbone_per_view(vit: nn.Module,
                      views: Sequence[torch.Tensor]) -> List[torch.Tensor]:
    """The last backbone output of each view, consecutive views of equal
    size run as one batch (DINO's ``MultiCropWrapper``)."""
    outputs, start = [], 0
    while start < len(views):
        end = start + 1
        while end < len(views) and views[end].shape == views[start].shape:
            end += 1
        batch = vit(torch.cat(list(views[start:end])))[-1]
        outputs += list(batch.chunk(end - start))
        start = end
    return outputs


@MODELS.register_module()
class DINO(FGSelfSupervisor):
    """DINO (see the module docstring for the method and its switches).

    Args:
        backbone: an mmpretrain ``VisionTransformer`` with a class token
            (``out_type='cls_token'``, or ``'raw'``: all tokens, class token
            first).
        head: a :class:`DINOHead` config.
        base_momentum, end_momentum, student_temperature,
        teacher_temperature, warmup_teacher_temperature,
        teacher_temperature_warmup_epochs, center_momentum,
        freeze_last_layer: see the module docstring.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 base_momentum: float = 0.004,
                 end_momentum: float = 0.,
                 student_temperature: float = 0.1,
                 teacher_temperature: float = 0.07,
                 warmup_teacher_temperature: float = 0.04,
                 teacher_temperature_warmup_epochs: int = 30,
                 center_momentum: float = 0.9,
                 freeze_last_layer: int = 1,
                 **kwargs) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)
        if not (isinstance(self.backbone, VisionTransformer)
                and self.backbone.out_type in BACKBONE_OUT_TYPES):
            out_type = getattr(self.backbone, 'out_type', None)
            raise ValueError(
                f'{type(self).__name__} needs a VisionTransformer backbone '
                f'with out_type in {BACKBONE_OUT_TYPES}, got '
                f'{type(self.backbone).__name__} (out_type={out_type!r})')
        if not isinstance(self.head, DINOHead):
            raise TypeError(f'{type(self).__name__} needs model.head of type '
                            f'DINOHead, got {type(self.head).__name__}')
        if freeze_last_layer < 0:
            raise ValueError(f'freeze_last_layer={freeze_last_layer} < 0')
        self.student_temperature = student_temperature
        self.teacher_temperatures = (warmup_teacher_temperature,
                                     teacher_temperature,
                                     teacher_temperature_warmup_epochs)
        self.center_momentum = center_momentum
        self.freeze_last_layer = freeze_last_layer
        self.gradient_hook_installed = False  # set by DINOGradientHook
        self.register_buffer(
            'center', torch.zeros(1, self.head.last_layer.weight_v.shape[0]))
        self.teacher = CosineEMA(
            self.student(), momentum=base_momentum, end_momentum=end_momentum)
        self.teacher.eval()

    def student(self) -> nn.ModuleDict:
        """The modules the teacher averages (under the same names)."""
        return nn.ModuleDict(dict(backbone=self.backbone, head=self.head))

    def init_weights(self) -> None:
        super().init_weights()
        # the teacher starts as the initialised (e.g. pre-trained) student
        self.teacher.module.load_state_dict(self.student().state_dict())

    def train(self, mode: bool = True) -> 'DINO':
        super().train(mode)
        self.teacher.eval()  # no drop path in the teacher
        return self

    @staticmethod
    def class_token(output: torch.Tensor) -> torch.Tensor:
        """The class token ``(B, C)`` of a ViT output (``'cls_token'`` or
        ``'raw'``)."""
        return output[:, 0] if output.dim() == 3 else output

    def dino_step(self, inputs: List[torch.Tensor]) -> DINOStep:
        """The DINO loss of a batch of crops (two global ones first), the
        centre update, and the backbone outputs for methods built on it."""
        epoch = MessageHub.get_current_instance().get_info('epoch', 0)
        if epoch < self.freeze_last_layer and not self.gradient_hook_installed:
            raise RuntimeError(
                f'{type(self).__name__} has freeze_last_layer='
                f'{self.freeze_last_layer}, which DINOGradientHook applies: '
                "add dict(type='DINOGradientHook') to custom_hooks (as "
                'configs/_base_/dino_runtime.py does) or set '
                'model.freeze_last_layer=0')
        if len(inputs) < 2:
            raise ValueError(f'{type(self).__name__} needs two global crops, '
                             f'got {len(inputs)} view(s)')
        # teacher passes first, while no autograd graph is alive
        self.teacher.update_parameters(self.student())
        teacher = self.teacher.module
        with torch.no_grad():
            teacher_outputs = backbone_per_view(teacher['backbone'],
                                                inputs[:2])
            teacher_logits = [
                teacher['head'](self.class_token(t)) for t in teacher_outputs
            ]
        student_outputs = backbone_per_view(self.backbone, inputs)
        student_logits = [
            self.head(self.class_token(s)) for s in student_outputs
        ]
        start, end, warmup_epochs = self.teacher_temperatures
        loss = dino_loss(student_logits, teacher_logits, self.center,
                         self.student_temperature,
                         teacher_temperature(epoch, start, end, warmup_epochs))
        self.center.copy_(
            updated_center(self.center, teacher_logits, self.center_momentum))
        return DINOStep(loss, student_outputs, teacher_outputs)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        return dict(loss=self.dino_step(inputs).loss)

    def extract_test_feature(self, inputs: torch.Tensor) -> torch.Tensor:
        """The teacher's class token after the final norm."""
        return self.class_token(self.teacher.module['backbone'](inputs)[-1])

    @torch.no_grad()
    def visual_maps(self, images: torch.Tensor) -> List[VisualMap]:
        """The teacher's head-averaged class-token attention in its last
        layer (DINO's attention maps)."""
        inputs = self.preprocess_images(images)
        vit = self.teacher.module['backbone']
        with AttentionRecorder(vit) as recorder:
            vit(inputs)
        attention = recorder.records[-1][:, vit.num_extra_tokens:]
        return [
            VisualMap('teacher class-token attention (last layer)', 'heat',
                      attention.reshape(-1, *patch_grid(vit, inputs)))
        ]

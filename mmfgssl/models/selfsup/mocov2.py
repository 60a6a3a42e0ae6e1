from typing import Dict, List, NamedTuple, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.selfsup import MoCo
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .base import FGSelfSupervisor


class ContrastiveStep(NamedTuple):
    """What one MoCo v2 step computes, for methods that build on it."""
    loss: torch.Tensor  # InfoNCE of the queries against key and queue
    feature_map: torch.Tensor  # query view's last backbone map (in graph)
    query: torch.Tensor  # (N, D) normalised query embeddings
    keys: torch.Tensor  # (N, D) momentum keys, to enqueue after the step


@MODELS.register_module()
class MoCoV2(FGSelfSupervisor, MoCo):
    """mmpretrain's MoCo (v1/v2), evaluated on its pooled backbone feature.

    Same modules, buffers and loss as mmpretrain's ``MoCo``; the training
    step is split into the pieces methods built on MoCo v2 (LCR) reuse.
    Note mmpretrain's EMA convention: ``momentum=0.001`` is the paper's
    ``m = 0.999``.
    """

    def query_embedding(self, feature_map: torch.Tensor) -> torch.Tensor:
        """L2-normalised projection of the query's last feature map."""
        return nn.functional.normalize(self.neck((feature_map, ))[0], dim=1)

    @torch.no_grad()
    def momentum_keys(self, im_k: torch.Tensor) -> torch.Tensor:
        """Update the key encoder, then embed ``im_k`` with shuffled BN."""
        self.encoder_k.update_parameters(
            nn.Sequential(self.backbone, self.neck))
        return self.key_embedding(im_k)

    @torch.no_grad()
    def key_embedding(self, im_k: torch.Tensor) -> torch.Tensor:
        """L2-normalised key-encoder embedding of ``im_k`` with shuffled BN
        (the key encoder as it is: no update)."""
        im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
        k = nn.functional.normalize(self.encoder_k(im_k)[0], dim=1)
        return batch_unshuffle_ddp(k, idx_unshuffle)

    def contrastive_logits(self, q: torch.Tensor,
                           k: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Positive ``(N, 1)`` and queue-negative ``(N, K)`` similarities."""
        l_pos = torch.einsum('nc,nc->n', q, k).unsqueeze(-1)
        l_neg = torch.einsum('nc,ck->nk', q, self.queue.clone().detach())
        return l_pos, l_neg

    def contrastive_step(self, inputs: List[torch.Tensor]) -> ContrastiveStep:
        """InfoNCE of view 0's queries against view 1's momentum keys and the
        queue. The keys are not enqueued yet: a method may still use the
        queue (call ``_dequeue_and_enqueue(step.keys)`` when done)."""
        feature_map = self.backbone(inputs[0])[-1]
        q = self.query_embedding(feature_map)
        k = self.momentum_keys(inputs[1])
        loss = self.head.loss(*self.contrastive_logits(q, k))
        return ContrastiveStep(loss, feature_map, q, k)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        step = self.contrastive_step(inputs)
        self._dequeue_and_enqueue(step.keys)
        return dict(loss=step.loss)

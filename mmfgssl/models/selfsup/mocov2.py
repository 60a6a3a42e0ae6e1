from typing import Dict, List, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.selfsup import MoCo
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .base import FGSelfSupervisor


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
        im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
        k = nn.functional.normalize(self.encoder_k(im_k)[0], dim=1)
        return batch_unshuffle_ddp(k, idx_unshuffle)

    def contrastive_logits(self, q: torch.Tensor,
                           k: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Positive ``(N, 1)`` and queue-negative ``(N, K)`` similarities."""
        l_pos = torch.einsum('nc,nc->n', q, k).unsqueeze(-1)
        l_neg = torch.einsum('nc,ck->nk', q, self.queue.clone().detach())
        return l_pos, l_neg

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        q = self.query_embedding(self.backbone(inputs[0])[-1])
        k = self.momentum_keys(inputs[1])
        loss = self.head.loss(*self.contrastive_logits(q, k))
        self._dequeue_and_enqueue(k)
        return dict(loss=loss)

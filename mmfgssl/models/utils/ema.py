"""Target networks whose averaging follows the official codes' schedules."""
import math

import torch
from mmengine.logging import MessageHub
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.utils import CosineEMA
from mmpretrain.registry import MODELS


@MODELS.register_module()
class WarmupEMA(ExponentialMovingAverage):
    """EMA whose decay warms up as ``min(tau, (1 + t) / (10 + t))``.

    This is ``torch_ema.ExponentialMovingAverage(use_num_updates=True)``, the
    target update of the PARTICLE code: the decay of the ``t``-th update is
    2/11, 3/12, ... and reaches ``tau`` = 0.996 only after 2,241 updates.
    ``momentum`` follows mmengine's convention, ``1 - tau``. The first call
    copies the online weights (mmengine's EMA), i.e. ``t`` counts the
    updates after the first optimiser step, as the official loop does.
    (mmengine's ``MomentumAnnealingEMA`` with ``gamma=9`` has the same form
    shifted by one update.)
    """

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps) -> None:
        steps = int(steps)
        decay = min(1 - self.momentum, (1 + steps) / (10 + steps))
        averaged_param.lerp_(source_param, 1 - decay)


@MODELS.register_module()
class RepeatedCosineEMA(CosineEMA):
    """mmpretrain's ``CosineEMA`` (MoCo v3, BYOL), each update counting as
    ``updates_per_step`` updates towards the same online weights.

    The LoDisc code updates its momentum encoder four times per training
    step with the same momentum ``tau`` and the same (pre-step) online
    weights, so the effective momentum is ``tau ** 4``. ``k`` updates
    towards a fixed target leave ``tau ** k`` of the old average, which is
    applied here in one pass over the parameters. ``momentum`` and
    ``end_momentum`` follow mmengine's convention (``1 - tau``).
    """

    def __init__(self,
                 model: torch.nn.Module,
                 momentum: float = 0.004,
                 end_momentum: float = 0.,
                 updates_per_step: int = 1,
                 **kwargs) -> None:
        super().__init__(model, momentum, end_momentum, **kwargs)
        if updates_per_step < 1:
            raise ValueError(f'updates_per_step={updates_per_step} must be '
                             '>= 1')
        self.updates_per_step = updates_per_step

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps) -> None:
        max_iters = MessageHub.get_current_instance().get_info('max_iters')
        annealing = (math.cos(math.pi * steps / float(max_iters)) + 1) / 2
        momentum = self.end_momentum - (self.end_momentum -
                                        self.momentum) * annealing
        kept = (1 - momentum)**self.updates_per_step
        averaged_param.lerp_(source_param, 1 - kept)

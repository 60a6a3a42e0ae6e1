"""Normalisation layers seen by inputs that must not shape them."""
from contextlib import contextmanager

import torch
from torch.nn.modules.batchnorm import _BatchNorm


@contextmanager
def frozen_bn_statistics(module: torch.nn.Module):
    """Inside, the training-mode BN layers of ``module`` normalise with
    batch statistics as usual but leave their running statistics (and
    ``num_batches_tracked``) exactly as they are."""
    norms = [
        m for m in module.modules()
        if isinstance(m, _BatchNorm) and m.training and m.track_running_stats
    ]
    saved = [(m.momentum, m.num_batches_tracked.clone()) for m in norms]
    for m in norms:
        m.momentum = 0.  # running = 1 * running + 0 * batch
    try:
        yield
    finally:
        for m, (momentum, tracked) in zip(norms, saved):
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)

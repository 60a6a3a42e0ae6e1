import random

import numpy as np
import torch

import mmfgssl  # noqa: F401
from mmfgssl.engine import IterationSeedHook


class _Runner:

    def __init__(self, seed, iteration):
        self.seed, self.iter = seed, iteration


def _draws():
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(),
            [random.random() for _ in range(3)])


def test_next_iteration_draws_depend_only_on_seed_and_iteration():
    hook = IterationSeedHook()
    # an uninterrupted run finishing iteration 6 ...
    hook.after_train_iter(_Runner(0, 6), 0)
    uninterrupted = _draws()
    # ... and a resumed run starting its epoch at iteration 7, after
    # unrelated random work (building loaders, validation)
    torch.rand(100), np.random.rand(100), random.random()
    hook.before_train_epoch(_Runner(0, 7))
    assert _draws() == uninterrupted
    hook.before_train_epoch(_Runner(0, 8))
    assert _draws() != uninterrupted
    hook.before_train_epoch(_Runner(1, 7))
    assert _draws() != uninterrupted

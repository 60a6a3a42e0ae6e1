"""Hooks shared by every method."""
import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


def seed_everything(*entropy: int) -> None:
    """Seed Python, numpy and torch from a tuple of integers."""
    state = int(np.random.SeedSequence(list(entropy)).generate_state(1)[0])
    random.seed(state)
    np.random.seed(state)
    torch.manual_seed(state)


def seed_worker(worker_id: int) -> None:
    """Seed a dataloader worker from the seed torch hands it.

    torch gives worker ``w`` the seed ``base + w``, where ``base`` is drawn
    from the main process's RNG when the epoch's iterator starts. With
    ``IterationSeedHook`` that RNG is seeded from (seed, first iteration of
    the epoch, rank) just before, so every worker's augmentation stream is a
    function of (seed, epoch, rank, worker id): different every epoch, and
    the same again when a run resumes. (mmengine's default seeds workers
    from (seed, rank, worker id) only, so workers restarted every epoch
    replay the same augmentation parameters.)
    """
    seed_everything(torch.utils.data.get_worker_info().seed, worker_id)


@HOOKS.register_module()
class IterationSeedHook(Hook):
    """Make each training iteration's random numbers a function of
    ``(runner.seed, iteration, rank)``.

    The main process's RNGs are reseeded at the start of every epoch and after
    every iteration, i.e. before the next batch is loaded (in-process when
    ``num_workers=0``) and before the next step draws its own random numbers
    (MoCo's batch shuffle, sampled part ids, random masks, ...). What ran
    before (dataloader construction, validation, a restart) then no longer
    matters, and ``--resume`` reaches the same weights as an uninterrupted
    run. Worker processes must not be persistent: mmengine reseeds
    non-persistent workers every epoch. ``runner.seed`` is the configured
    seed, or the one mmengine drew and stored in the checkpoint.
    """
    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        seed_everything(runner.seed, runner.iter, get_rank())

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        seed_everything(runner.seed, runner.iter + 1, get_rank())

"""mmengine's Runner and CheckpointHook with checkpoints that cannot lie or
vanish.

``FGRunner`` (``runner_type = 'FGRunner'`` in every mmfgssl runtime):

* loads checkpoints strictly (``load_from``, ``tools/test.py``,
  ``--resume``): a checkpoint whose weights do not fit the model stops the
  run naming the file and the missing and unexpected keys, instead of
  evaluating a randomly initialised model under that checkpoint's name;
* writes every checkpoint to a hidden temporary file in the same folder and
  renames it, so an interrupted write (disk full, quota, a kill) never
  leaves a truncated file under a checkpoint's name;
* stores the model config as plain data (``meta.model_config``), which is
  what the linear probe rebuilds the algorithm from: mmengine's config text
  (``meta.cfg``) is Python and is dropped when a checkpoint is loaded;
* seeds dataloader workers with :func:`seed_worker` (a different stream
  every epoch) unless the config names its own ``worker_init_fn``;
* saves a run of 0 epochs (``train_cfg.max_epochs=0``) as ``epoch_0.pth``:
  the initialised model, e.g. ImageNet (or generic) weights evaluated as
  they are, goes through the same tools as a trained one;
* with ``exclude_validation_images = True`` in the config (or
  ``--cfg-options exclude_validation_images=True``) trains without the
  images of the validation split, not only without their labels
  (:func:`~mmfgssl.datasets.exclude_validation_images`).

``SafeCheckpointHook`` deletes a previous best checkpoint only after its
successor is written (mmengine's deletes it first).
"""
import copy
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Callable, List

from mmengine.dist import is_main_process, master_only
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.registry import HOOKS, RUNNERS

from ..checkpoint import load_state_dict_strict, state_dict_of
from ..datasets import exclude_validation_images
from .hooks import seed_worker

PLAIN_TYPES = (str, int, float, bool, type(None))


def is_plain_data(value) -> bool:
    """Only containers and scalars that any unpickler rebuilds as data."""
    if isinstance(value, PLAIN_TYPES):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain_data(v) for v in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and is_plain_data(v) for k, v in value.items())
    return False


def write_atomically(path: str, write: Callable[[str], None]) -> None:
    """``write(temporary)`` a file under a hidden temporary name in the same
    folder, then rename it to ``path``: a failed or interrupted write never
    leaves a truncated file under ``path``."""
    temporary = osp.join(osp.dirname(path), f'.{osp.basename(path)}.partial')
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if osp.exists(temporary):
            os.remove(temporary)


@RUNNERS.register_module()
class FGRunner(Runner):
    """The Runner of every mmfgssl config (see the module docstring)."""

    @classmethod
    def from_cfg(cls, cfg):
        if cfg.get('exclude_validation_images'):
            cfg = copy.deepcopy(cfg)
            exclude_validation_images(cfg)
        return super().from_cfg(cfg)

    def train(self):
        model = super().train()
        if getattr(self.train_loop, 'max_epochs', None) == 0:
            self.save_checkpoint(self.work_dir, 'epoch_0.pth')
            if is_main_process():
                with open(osp.join(self.work_dir, 'last_checkpoint'),
                          'w') as f:
                    f.write(osp.join(self.work_dir, 'epoch_0.pth'))
        return model

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        if isinstance(dataloader, dict) and 'worker_init_fn' not in dataloader:
            dataloader = dict(
                dataloader, worker_init_fn=dict(type=seed_worker))
        return Runner.build_dataloader(dataloader, seed, diff_rank_seed)

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = True,
                        revise_keys: list = [(r'^module\.', '')]):
        if not strict:
            return super().load_checkpoint(filename, map_location, strict,
                                           revise_keys)
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        state = state_dict_of(checkpoint, filename)
        for pattern, replacement in revise_keys:
            state = OrderedDict(
                (re.sub(pattern, replacement, k), v) for k, v in state.items())
        load_state_dict_strict(model, state, filename)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args=None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta=None,
                        by_epoch: bool = True,
                        backend_args=None):
        meta = dict(meta or {})
        model = self.cfg.get('model')
        model = model.to_dict() if hasattr(model, 'to_dict') else model
        if is_plain_data(model):
            meta['model_config'] = model
        else:
            self.logger.warning(
                'the model config holds values that are not plain data; '
                'meta.model_config is not stored and the linear probe will '
                'need model.backbone.algorithm')
        options = dict(
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch)
        if file_client_args is not None or backend_args is not None:
            return super().save_checkpoint(
                out_dir,
                filename,
                file_client_args,
                backend_args=backend_args,
                **options)
        write_atomically(
            osp.join(out_dir, filename),
            lambda temporary: super(FGRunner, self).save_checkpoint(
                out_dir, osp.basename(temporary), **options))


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``, but a new best checkpoint is written
    before the previous one is deleted: mmengine deletes first, so a failed
    write left only a truncated ``best_*.pth`` (that ``run_protocol.py``
    would then evaluate)."""

    def _best_paths(self) -> List[str]:
        if len(self.key_indicators) == 1:
            return [self.best_ckpt_path] if self.best_ckpt_path else []
        return [p for p in self.best_ckpt_path_dict.values() if p]

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        # Move the current best files aside, out of the parent's reach.
        stashed = {}
        if is_main_process():
            for path in self._best_paths():
                if osp.isfile(path):
                    stashed[path] = osp.join(
                        osp.dirname(path), f'.{osp.basename(path)}.previous')
                    os.replace(path, stashed[path])
        try:
            super()._save_best_checkpoint(runner, metrics)
        except BaseException:
            for path, aside in stashed.items():
                os.replace(aside, path)
            raise
        current = set(self._best_paths())
        for path, aside in stashed.items():
            if path in current:  # not superseded: put it back
                os.replace(aside, path)
            else:
                os.remove(aside)
                runner.logger.info(
                    f'The previous best checkpoint {path} is removed')

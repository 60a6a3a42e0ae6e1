"""Part maps for part-contrastive training, written during the run."""
import os
import os.path as osp
import time
from typing import Optional

import numpy as np
from mmengine.dist import barrier, get_dist_info, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from PIL import Image

from ..datasets import PartMapDataset
from ..models.selfsup.base import PartDiscoverer


@HOOKS.register_module()
class PartMapHook(Hook):
    """Write the training images' part maps with ``model.discover_parts`` and
    point the training dataset (a ``PartMapDataset``) at them.

    Maps are written once before training (DetCon: Felzenszwalb segments) or,
    when the model's ``epochs_per_round`` is set, at the start of every round
    with the model as trained so far (PARTICLE's iteration of discovery and
    training). The schedule belongs to the method, so every part-method
    config shares one hook (``configs/_base_/parts_runtime.py``). Round
    ``r`` lives in ``<work_dir>/<out_dir>/round_<r>``; a finished round is
    marked complete and reused when a run resumes, so a resumed run trains
    on exactly the maps of the uninterrupted one. With several processes
    each writes a share of the images.

    Args:
        batch_size: images per ``discover_parts`` call.
        out_dir: folder under the work directory.
    """
    priority = 'NORMAL'
    DONE = '.complete'

    def __init__(self,
                 batch_size: int = 32,
                 out_dir: str = 'part_maps') -> None:
        self.batch_size, self.out_dir = batch_size, out_dir
        self.epochs_per_round: Optional[int] = None

    def _round(self, epoch: int) -> int:
        return epoch // self.epochs_per_round if self.epochs_per_round else 0

    def before_train_epoch(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        if not isinstance(dataset, PartMapDataset):
            raise TypeError('PartMapHook needs train_dataloader.dataset to be '
                            f'a PartMapDataset, got {type(dataset).__name__}')
        folder = osp.join(runner.work_dir, self.out_dir,
                          f'round_{self._round(runner.epoch)}')
        if dataset.part_root == folder:
            return
        if (self.epochs_per_round
                and runner.train_dataloader.persistent_workers):
            raise ValueError(
                'PartMapHook with epochs_per_round needs '
                'train_dataloader.persistent_workers=False: persistent '
                'workers would keep training on the previous round\'s maps')
        if not osp.isfile(osp.join(folder, self.DONE)):
            self._write_round(runner, dataset, folder)
        dataset.part_root = folder

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if not isinstance(model, PartDiscoverer):
            config = getattr(runner.cfg, 'filename', None) or 'the config'
            raise TypeError(
                f'{config}: PartMapHook needs a model that discovers parts '
                f'(a PartDiscoverer, e.g. DetCon or PARTICLE), but model.type '
                f'is {type(model).__name__}. Remove the PartMapHook from '
                'custom_hooks or train a part-discovering method.')
        self.epochs_per_round = model.epochs_per_round

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(
            runner.model) else runner.model

    def _write_round(self, runner, dataset: PartMapDataset,
                     folder: str) -> None:
        model = self._model(runner)
        rank, world_size = get_dist_info()
        paths = dataset.image_paths()
        mine = list(range(len(dataset)))[rank::world_size]
        start = time.time()
        dataset.part_root = folder
        for i in range(0, len(mine), self.batch_size):
            batch = mine[i:i + self.batch_size]
            images = [dataset.read_image(idx) for idx in batch]
            for idx, part_map in zip(batch, model.discover_parts(images)):
                path = paths[idx]
                out = dataset.part_map_path(path)
                os.makedirs(osp.dirname(out), exist_ok=True)
                part_map = np.asarray(part_map)
                dtype = np.uint8 if part_map.max() < 256 else np.uint16
                Image.fromarray(part_map.astype(dtype)).save(out)
        barrier()
        if is_main_process():
            open(osp.join(folder, self.DONE), 'w').close()
        barrier()
        runner.logger.info(
            f'part maps of {len(dataset)} images written to {folder} in '
            f'{time.time() - start:.1f}s ({type(model).__name__}.'
            'discover_parts)')

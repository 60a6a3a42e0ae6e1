"""Dataset helpers for the shared evaluation protocols.

* ``HoldoutSplit`` carves a class-stratified validation split out of a
  training set, so online evaluation and model selection never see the test
  split. Pre-training still sees the validation images (without labels)
  unless the config sets ``exclude_validation_images = True``
  (:func:`exclude_validation_images`).
* ``EvalSplitsDataset`` serves the query images (and, for kNN, the memory
  bank) of one evaluation in a single dataloader, tagging each sample with its
  role so that the metrics can tell them apart.
"""
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose
from mmpretrain.registry import DATASETS, TRANSFORMS
from PIL import Image

# Transforms after which every image has the same size.
FIXED_SIZE_TRANSFORMS = ('CenterCrop', 'RandomCrop', 'RandomResizedCrop')


def _build(dataset: Union[dict, BaseDataset]) -> BaseDataset:
    return DATASETS.build(dataset) if isinstance(dataset, dict) else dataset


def holdout_indices(labels: Sequence[int], holdout_fraction: float,
                    seed: int) -> np.ndarray:
    """Indices of a class-stratified held-out subset.

    Every class with at least two images gives
    ``max(1, round(holdout_fraction * n_class))`` images, never all of them.
    """
    if not 0 < holdout_fraction < 1:
        raise ValueError(
            f'holdout_fraction={holdout_fraction} must be in (0, 1)')
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        n = min(
            len(members) - 1,
            max(1, int(round(holdout_fraction * len(members)))))
        held.append(rng.choice(members, n, replace=False))
    return np.sort(np.concatenate(held)) if held else np.zeros(0, int)


@DATASETS.register_module(name='HoldoutSplit')
def build_holdout_split(dataset: Union[dict, BaseDataset],
                        part: str,
                        holdout_fraction: float = 0.1,
                        seed: int = 0) -> BaseDataset:
    """The held-out (``part='holdout'``) or remaining (``part='rest'``) part
    of a labelled dataset, as a dataset of the same type.

    The split depends only on the labels and ``seed``, so the two parts built
    from the same arguments are always complementary.
    """
    if part not in ('holdout', 'rest'):
        raise ValueError(f"HoldoutSplit part='{part}': use 'holdout' or "
                         "'rest'")
    dataset = _build(dataset)
    held = holdout_indices(dataset.get_gt_labels(), holdout_fraction, seed)
    if part == 'holdout':
        indices = held
    else:
        indices = np.setdiff1d(np.arange(len(dataset)), held)
    return dataset.get_subset(indices.tolist())


def _without_pipeline(dataset: dict) -> dict:
    return {k: v for k, v in dataset.items() if k != 'pipeline'}


def exclude_validation_images(cfg) -> None:
    """Train on the training images minus the validation split's.

    The validation split (``val_dataloader.dataset.query``, a
    ``HoldoutSplit(part='holdout')`` of the training set) is otherwise
    inside the self-supervised training images, only its labels held out.
    This replaces the dataset it is held out of, wherever it sits in
    ``train_dataloader.dataset`` (directly, or inside a wrapper such as
    ``PartMapDataset``), by ``HoldoutSplit(part='rest')`` with the same
    fraction and seed: exactly the images the validation split leaves.
    ``FGRunner`` applies it when the config sets
    ``exclude_validation_images = True``.
    """
    val_set = (cfg.get('val_dataloader') or {}).get('dataset') or {}
    query = val_set.get('query')
    if not (isinstance(query, dict) and query.get('type') == 'HoldoutSplit'):
        raise ValueError(
            'exclude_validation_images=True needs val_dataloader.dataset.'
            'query to be a HoldoutSplit of the training set, got '
            f'{query.get("type") if isinstance(query, dict) else query!r}')
    source = _without_pipeline(query['dataset'])
    parent = cfg.train_dataloader
    while isinstance(parent.get('dataset'), dict):
        dataset = parent['dataset']
        if _without_pipeline(dataset) == source:
            parent['dataset'] = dict(query, dataset=dataset, part='rest')
            return
        parent = dataset
    raise ValueError(
        'exclude_validation_images=True: the validation split is held out '
        f'of {source.get("type")} ({source.get("data_root")}), which '
        'train_dataloader.dataset does not train on, so it holds no '
        'validation image to exclude (e.g. the aircraft part methods train '
        'on OID-Aircraft and validate on FGVC-Aircraft). Drop the option.')


def _fixes_size(pipeline: Sequence) -> bool:
    for t in pipeline:
        name = t.get('type') if isinstance(t, dict) else type(t).__name__
        name = name.split('.')[-1] if isinstance(name, str) else ''
        if name in FIXED_SIZE_TRANSFORMS or (
                name == 'Resize'
                and not (isinstance(t, dict) and t.get('keep_ratio'))):
            return True
    return False


@DATASETS.register_module()
class EvalSplitsDataset:
    """Query images plus an optional memory bank, for one evaluation pass.

    Samples ``0 .. len(memory)-1`` come from ``memory`` and carry
    ``eval_role='memory'``; the rest come from ``query`` with
    ``eval_role='query'``. Retrieval uses the queries only (leave-one-out);
    kNN classifies the queries against the memory bank.

    Args:
        query: dataset (or config) of the evaluated images, e.g. the test
            split.
        memory: dataset (or config) of the kNN memory bank, e.g. the
            training split. ``None`` for retrieval only.
        pipeline: test pipeline applied to both; the wrapped datasets should
            have none.
    """

    def __init__(
        self,
        query: Union[dict, BaseDataset],
        memory: Optional[Union[dict, BaseDataset]] = None,
        pipeline: Sequence[dict] = ()
    ) -> None:
        self.query = _build(query)
        self.memory = _build(memory) if memory is not None else None
        if not _fixes_size(pipeline):
            self._check_equal_sizes()
        self.pipeline = Compose([
            TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
        ])

    def _check_equal_sizes(self) -> None:
        """The images are batched as they are (the pipeline does not resize
        them): name the first image whose size differs, now rather than at
        the first evaluation, an epoch into training."""
        first = None
        for _, dataset in self._parts:
            for i in range(len(dataset)):
                path = dataset.get_data_info(i)['img_path']
                with Image.open(path) as img:
                    size = img.size
                if first is None:
                    first = (path, size)
                elif size != first[1]:
                    raise ValueError(
                        f'{path} is {size[0]}x{size[1]} but {first[0]} is '
                        f'{first[1][0]}x{first[1][1]}: the evaluation '
                        'pipeline keeps image sizes, so all its images must '
                        'have the same size (or add a Resize/CenterCrop to '
                        'the test pipeline)')

    @property
    def metainfo(self) -> dict:
        return self.query.metainfo

    @property
    def _parts(self) -> List[tuple]:
        parts = [] if self.memory is None else [('memory', self.memory)]
        return parts + [('query', self.query)]

    def __len__(self) -> int:
        return sum(len(dataset) for _, dataset in self._parts)

    def __getitem__(self, idx: int) -> dict:
        if idx < 0:
            idx += len(self)
        for role, dataset in self._parts:
            if idx < len(dataset):
                results = self.pipeline(dataset.get_data_info(idx))
                results['data_samples'].set_metainfo(dict(eval_role=role))
                return results
            idx -= len(dataset)
        raise IndexError('EvalSplitsDataset index out of range')

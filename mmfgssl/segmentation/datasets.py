"""Few-shot part-segmentation datasets and transforms (mmsegmentation).

Three datasets, each taking a k-shot subset of its training list
(``num_shots`` images drawn with ``seed``):

* ``SyntheticPartsDataset``: the embedded benchmark's ``parts/`` maps
  (8 classes including background).
* ``PASCUBPartsDataset``: CUB part segmentation in the PASCUB layout used by
  CoarseSup and PARTICLE (11 classes including background; ids 4/5, 6/7 and
  8/9 are left/right pairs, swapped on horizontal flips)::

      PASCUB_Birds/CUB_Parts/images_{train,test}/<name>.jpg
      PASCUB_Birds/CUB_Parts/parts_{train,test}/<name>.png
      PASCUB_Birds/PASCAL_Parts/images_train/<name>.jpg    (train only)
      PASCUB_Birds/PASCAL_Parts/parts_train/<name>.png

* ``OIDAircraftPartsDataset``: OID Aircraft parts (nose, vertical
  stabiliser, wheel, wing). They overlap, so a pixel's label is a bit set
  (bit p = part p) and the model is multi-label (per-part sigmoid)::

      oid-aircraft-beta-1/data/images/aeroplane/<id>.jpg
      oid-aircraft-beta-1/data_oid/<id>/<id>_{nose,VS,wheel,wing}.png
      <list>.txt   (one "<id>.jpg" per line: PARTICLE's train_oid.txt with
                    3,701 ids, val_oid.txt with 75)
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets import BaseSegDataset
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import DATASETS, TRANSFORMS
from PIL import Image

from ..datasets.synthetic import PART_NAMES

OID_PARTS = ('nose', 'VS', 'wheel', 'wing')
PASCUB_CLASSES = ('background', ) + tuple(f'part{i}' for i in range(1, 11))
PASCUB_FLIP_PAIRS = ((4, 5), (6, 7), (8, 9))
IGNORE_INDEX = 255


def few_shot_subset(data_list: List[dict], num_shots: Optional[int],
                    seed: int) -> List[dict]:
    """``num_shots`` items drawn with ``seed`` (all if None), in path
    order."""
    data_list = sorted(data_list, key=lambda d: d['img_path'])
    if num_shots is None:
        return data_list
    if not 0 < num_shots <= len(data_list):
        raise ValueError(f'num_shots={num_shots}: the list has '
                         f'{len(data_list)} images')
    picks = np.random.default_rng(seed).choice(
        len(data_list), num_shots, replace=False)
    return [data_list[i] for i in sorted(picks)]


class _FewShotPartsDataset(BaseSegDataset):
    """Base: subclasses list ``(image path, label path)`` pairs."""

    def __init__(self,
                 num_shots: Optional[int] = None,
                 seed: int = 0,
                 **kwargs) -> None:
        self.num_shots, self.seed = num_shots, seed
        super().__init__(**kwargs)

    def list_pairs(self) -> List[Tuple[str, str]]:
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        data_list = []
        for img_path, seg_map_path in self.list_pairs():
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'{type(self).__name__}: image {img_path} is missing '
                    f'(data_root={self.data_root!r})')
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=seg_map_path,
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        return few_shot_subset(data_list, self.num_shots, self.seed)


@DATASETS.register_module()
class SyntheticPartsDataset(_FewShotPartsDataset):
    """Part maps of the synthetic benchmark (``tools/make_synthetic.py``).

    Args:
        data_root: the benchmark root (``images/``, ``parts/``, CUB lists).
        split: ``'train'`` or ``'test'`` (``train_test_split.txt``).
        num_shots, seed: k-shot subset of the split.
    """
    METAINFO = dict(classes=PART_NAMES)

    def __init__(self, data_root: str, split: str = 'train', **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"split={split!r}: use 'train' or 'test'")
        self.split = split
        super().__init__(data_root=data_root, **kwargs)

    def list_pairs(self):
        root = self.data_root
        for name in ('images.txt', 'train_test_split.txt'):
            if not osp.isfile(osp.join(root, name)):
                raise FileNotFoundError(
                    f'{osp.join(root, name)} not found: generate the '
                    'synthetic benchmark with python tools/make_synthetic.py '
                    f'{root}')
        paths = dict(line.split()
                     for line in open(osp.join(root, 'images.txt')))
        flags = dict(line.split()
                     for line in open(osp.join(root, 'train_test_split.txt')))
        want = '1' if self.split == 'train' else '0'
        return [(osp.join(root, 'images', rel),
                 osp.join(root, 'parts',
                          osp.splitext(rel)[0] + '.png'))
                for i, rel in paths.items() if flags[i] == want]


@DATASETS.register_module()
class PASCUBPartsDataset(_FewShotPartsDataset):
    """CUB part segmentation in the PASCUB layout (see module docstring).

    Args:
        data_root: the ``PASCUB_Birds`` folder.
        split: ``'train'`` (CUB_Parts, plus PASCAL_Parts when
            ``with_pascal``) or ``'test'`` (CUB_Parts only).
        with_pascal: add the PASCAL-Part birds to the training list, as the
            PARTICLE code does.
        num_shots, seed: k-shot subset of the list.
    """
    METAINFO = dict(classes=PASCUB_CLASSES)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 with_pascal: bool = True,
                 **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f"split={split!r}: use 'train' or 'test'")
        self.split, self.with_pascal = split, with_pascal
        super().__init__(data_root=data_root, **kwargs)

    def list_pairs(self):
        sources = ['CUB_Parts']
        if self.split == 'train' and self.with_pascal:
            sources.append('PASCAL_Parts')
        pairs = []
        for source in sources:
            img_dir = osp.join(self.data_root, source, f'images_{self.split}')
            if not osp.isdir(img_dir):
                raise FileNotFoundError(
                    f'PASCUBPartsDataset: {img_dir} is missing; expected '
                    'PASCUB_Birds/{CUB_Parts,PASCAL_Parts}/images_<split>/ '
                    'and parts_<split>/')
            for name in sorted(
                    f for f in os.listdir(img_dir) if f.endswith(".jpg")):
                pairs.append((osp.join(img_dir, name),
                              osp.join(self.data_root, source,
                                       f'parts_{self.split}',
                                       osp.splitext(name)[0] + '.png')))
        return pairs


@DATASETS.register_module()
class OIDAircraftPartsDataset(_FewShotPartsDataset):
    """OID Aircraft parts, multi-label (see module docstring).

    Args:
        data_root: the ``oid-aircraft-beta-1`` folder.
        ann_file: list of image ids (``<id>.jpg`` per line), relative to
            ``data_root``.
        num_shots, seed: k-shot subset of the list.
    """
    METAINFO = dict(classes=OID_PARTS)

    def list_pairs(self):
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'OIDAircraftPartsDataset: list {self.ann_file} is missing '
                '(PARTICLE ships train_oid.txt and val_oid.txt)')
        ids = [
            osp.splitext(line.strip())[0] for line in open(self.ann_file)
            if line.strip()
        ]
        return [(osp.join(self.data_root, 'data', 'images', 'aeroplane',
                          f'{i}.jpg'),
                 osp.join(self.data_root, 'data_oid', i, i)) for i in ids]


# ------------------------------------------------------------ transforms
@TRANSFORMS.register_module()
class LoadPartAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` for part maps stored as RGB PNGs too:
    the first channel is the label (PASCUB's label files)."""

    def _load_seg_map(self, results: dict) -> None:
        super()._load_seg_map(results)
        if results['gt_seg_map'].ndim == 3:
            results['gt_seg_map'] = np.ascontiguousarray(
                results['gt_seg_map'][..., 0])


@TRANSFORMS.register_module()
class LoadOIDAircraftParts(BaseTransform):
    """Read the four part masks of an OID Aircraft image into one map whose
    value is the bit set of parts at each pixel (bit p: ``OID_PARTS[p]``),
    and cut the photo-credit banner (``banner`` rows at the bottom) from the
    image and the map."""

    def __init__(self, banner: int = 21) -> None:
        self.banner = banner

    def transform(self, results: dict) -> dict:
        prefix = results['seg_map_path']
        bits = None
        for p, part in enumerate(OID_PARTS):
            path = f'{prefix}_{part}.png'
            if not osp.isfile(path):
                raise FileNotFoundError(f'part mask {path} is missing')
            mask = np.asarray(Image.open(path))
            mask = (mask[..., 0] if mask.ndim == 3 else mask) > 0
            bits = np.zeros(mask.shape, np.uint8) if bits is None else bits
            bits |= mask.astype(np.uint8) << p
        keep = slice(0, -self.banner) if self.banner else slice(None)
        results['img'] = np.ascontiguousarray(results['img'][keep])
        results['img_shape'] = results['img'].shape[:2]
        results['gt_seg_map'] = np.ascontiguousarray(bits[keep])
        results['seg_fields'].append('gt_seg_map')
        return results


@TRANSFORMS.register_module()
class CropToParts(BaseTransform):
    """Crop image and part map to the bounding box of the labelled (non-zero)
    pixels plus ``margin`` pixels, as the PARTICLE/CoarseSup evaluation."""

    def __init__(self, margin: int = 20) -> None:
        self.margin = margin

    def transform(self, results: dict) -> dict:
        labels = results['gt_seg_map']
        rows, cols = np.nonzero((labels != 0) & (labels != IGNORE_INDEX))
        if len(rows) == 0:
            return results
        h, w = labels.shape
        y0, y1 = max(0,
                     rows.min() - self.margin), min(h,
                                                    rows.max() + self.margin)
        x0, x1 = max(0,
                     cols.min() - self.margin), min(w,
                                                    cols.max() + self.margin)
        results['img'] = np.ascontiguousarray(results['img'][y0:y1, x0:x1])
        results['gt_seg_map'] = np.ascontiguousarray(labels[y0:y1, x0:x1])
        results['img_shape'] = results['img'].shape[:2]
        return results


@TRANSFORMS.register_module()
class FlipSwapParts(BaseTransform):
    """Horizontal flip of image and part map that also swaps left/right part
    ids (PASCUB: 4<->5, 6<->7, 8<->9).

    Args:
        prob: flip probability.
        swap_pairs: pairs of ids exchanged by a flip.
    """

    def __init__(self,
                 prob: float = 0.5,
                 swap_pairs: Sequence[Sequence[int]] = ()) -> None:
        self.prob = prob
        self.lut = np.arange(256, dtype=np.uint8)
        for a, b in swap_pairs:
            self.lut[a], self.lut[b] = b, a

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
            labels = results['gt_seg_map'][:, ::-1]
            results['gt_seg_map'] = np.ascontiguousarray(
                self.lut[labels.astype(np.uint8)])
        return results


@TRANSFORMS.register_module()
class ScoreAtInputSize(BaseTransform):
    """Evaluate at the network's input size: mmseg resizes predictions to
    ``ori_shape`` (the uncropped original image); the few-shot protocol, as
    the PARTICLE code, scores the resized crop. Put it after ``Resize``."""

    def transform(self, results: dict) -> dict:
        results['ori_shape'] = results['img_shape']
        return results

"""Images with per-image part maps, and two views that keep them aligned.

Part-contrastive methods (DetCon, PARTICLE) pool features under part masks,
so every view needs the part map cropped, resized and flipped exactly like
its image. mmpretrain's ``MultiView`` keeps only the images;
``MultiViewWithMasks`` applies each view's geometry to both and the
photometric transforms to the image only.
"""
import math
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset, Compose
from mmpretrain.registry import DATASETS, TRANSFORMS
from PIL import Image


def part_map_path(part_root: str, img_path: str, img_prefix: str) -> str:
    """Where the part map of ``img_path`` lives: same relative path under
    ``part_root``, ``.png``."""
    rel = osp.relpath(img_path,
                      img_prefix) if img_prefix else osp.basename(img_path)
    return osp.join(part_root, osp.splitext(rel)[0] + '.png')


def _compose(pipeline):
    return Compose(
        [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline])


@DATASETS.register_module()
class PartMapDataset:
    """A dataset whose samples carry the path of their part map.

    Part discovery (:meth:`read_image`) sees each image as the pipeline
    has it just before ``LoadPartMap``: loaded, and e.g. with OID
    Aircraft's photo-credit banner cut, exactly what training crops from.

    Args:
        dataset: the image dataset (or its config), e.g. the CUB training
            split. Its own pipeline is not used.
        pipeline: applied to each sample after ``part_map_path`` is set; it
            contains a ``LoadPartMap``.
        part_root: folder of the part maps, mirroring the image folder.
            ``None`` until a part-map hook (``PartMapHook``) writes them and
            sets it.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 pipeline: Sequence[dict] = (),
                 part_root: Optional[str] = None) -> None:
        self.dataset = (
            DATASETS.build(dataset) if isinstance(dataset, dict) else dataset)
        self.pipeline = _compose(pipeline)
        loads = [
            i for i, t in enumerate(self.pipeline.transforms)
            if isinstance(t, LoadPartMap)
        ]
        if not loads:
            raise ValueError('PartMapDataset: the pipeline has no LoadPartMap'
                             ' (the part maps would never be read)')
        self.image_pipeline = Compose(self.pipeline.transforms[:loads[0]])
        self.part_root = part_root

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    @property
    def img_prefix(self) -> str:
        return self.dataset.data_prefix.get('img_path', '')

    def __len__(self) -> int:
        return len(self.dataset)

    def image_paths(self) -> List[str]:
        return [
            self.dataset.get_data_info(i)['img_path']
            for i in range(len(self))
        ]

    def read_image(self, idx: int) -> np.ndarray:
        """Image ``idx`` (BGR) as discovery sees it (the pipeline up to
        ``LoadPartMap``); an unreadable file is named."""
        info = self.dataset.get_data_info(idx)
        try:
            results = self.image_pipeline(info)
        except Exception as error:
            raise OSError(
                f'cannot read image {info["img_path"]}: {error}') from error
        if results is None or results.get('img') is None:
            raise OSError(f'cannot read image {info["img_path"]}')
        return results['img']

    def part_map_path(self, img_path: str) -> str:
        return part_map_path(self.part_root, img_path, self.img_prefix)

    def __getitem__(self, idx: int) -> dict:
        if self.part_root is None:
            raise RuntimeError(
                'PartMapDataset has no part maps yet: add a PartMapHook to '
                'custom_hooks (it writes them before training) or set '
                'part_root')
        info = self.dataset.get_data_info(idx)
        info['part_map_path'] = self.part_map_path(info['img_path'])
        return self.pipeline(info)


@TRANSFORMS.register_module()
class LoadPartMap(BaseTransform):
    """Read ``results['part_map_path']`` into ``results['part_map']``,
    resized (nearest) to the image's size."""

    def transform(self, results: dict) -> dict:
        path = results['part_map_path']
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'part map {path} of image {results.get("img_path")} does '
                'not exist')
        part_map = np.asarray(Image.open(path)).astype(np.int64)
        h, w = results['img'].shape[:2]
        if part_map.shape != (h, w):
            part_map = cv2.resize(
                part_map.astype(np.float32), (w, h),
                interpolation=cv2.INTER_NEAREST).astype(np.int64)
        results['part_map'] = part_map
        return results


def random_resized_crop_box(height: int, width: int,
                            scale: Tuple[float, float], ratio: Tuple[float,
                                                                     float],
                            rng: np.random.Generator) -> Tuple[int, ...]:
    """``(y, x, h, w)`` of a random crop covering ``scale`` of the area with
    aspect ratio in ``ratio`` (log-uniform), torchvision's rule, falling
    back to the centre crop."""
    area = height * width
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return (int(rng.integers(0, height - h + 1)),
                    int(rng.integers(0, width - w + 1)), h, w)
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif in_ratio > ratio[1]:
        h, w = height, int(round(height * ratio[1]))
    else:
        h, w = height, width
    return (height - h) // 2, (width - w) // 2, h, w


@TRANSFORMS.register_module()
class MultiViewWithMasks(BaseTransform):
    """Views of an image and its part map with shared per-view geometry.

    Each view draws its own random-resized crop and horizontal flip, applies
    them to ``img`` (``interpolation``) and ``part_map`` (nearest), then runs
    its photometric pipeline on the image. Outputs ``results['img']`` as a
    list of views and ``results['part_masks']`` as ``(num_views, S, S)``.

    Args:
        crop_size: output side ``S``.
        scale, ratio: random-resized-crop area fraction and aspect range.
        flip_prob: probability of a horizontal flip per view.
        transforms: one photometric pipeline per view (a single one is used
            for all views), e.g. asymmetric blur/solarize as in BYOL.
        num_views: number of views.
        interpolation: cv2 interpolation of the image (``'bicubic'`` as the
            PARTICLE code, or ``'bilinear'``).
    """

    def __init__(self,
                 crop_size: int,
                 transforms: Sequence[Sequence[dict]] = ([], ),
                 scale: Tuple[float, float] = (0.08, 1.0),
                 ratio: Tuple[float, float] = (3 / 4, 4 / 3),
                 flip_prob: float = 0.5,
                 num_views: int = 2,
                 interpolation: str = 'bicubic') -> None:
        if len(transforms) not in (1, num_views):
            raise ValueError(f'{len(transforms)} photometric pipelines for '
                             f'{num_views} views: give 1 or {num_views}')
        self.crop_size, self.scale, self.ratio = crop_size, scale, ratio
        self.flip_prob, self.num_views = flip_prob, num_views
        self.interpolation = {
            'bicubic': cv2.INTER_CUBIC,
            'bilinear': cv2.INTER_LINEAR
        }[interpolation]
        self.pipelines = [_compose(t) for t in transforms]

    def transform(self, results: dict) -> dict:
        img, part_map = results['img'], results['part_map']
        if img.shape[:2] != part_map.shape:
            raise ValueError(f'image {img.shape[:2]} and part map '
                             f'{part_map.shape} differ in size for '
                             f'{results.get("img_path")}')
        rng = np.random.default_rng(np.random.randint(2**31))
        views, masks = [], []
        size = (self.crop_size, self.crop_size)
        for v in range(self.num_views):
            y, x, h, w = random_resized_crop_box(*img.shape[:2], self.scale,
                                                 self.ratio, rng)
            view = cv2.resize(
                img[y:y + h, x:x + w], size, interpolation=self.interpolation)
            mask = cv2.resize(
                part_map[y:y + h, x:x + w].astype(np.float32),
                size,
                interpolation=cv2.INTER_NEAREST).astype(np.int64)
            if rng.random() < self.flip_prob:
                view, mask = view[:, ::-1], mask[:, ::-1]
            view_results = {
                k: val
                for k, val in results.items() if k not in ('img', 'part_map')
            }
            view_results.update(
                img=np.ascontiguousarray(view), img_shape=view.shape[:2])
            view_results = self.pipelines[v % len(self.pipelines)](
                view_results)
            views.append(view_results['img'])
            masks.append(np.ascontiguousarray(mask))
        results['img'] = views
        results['part_masks'] = np.stack(masks)
        del results['part_map']
        return results

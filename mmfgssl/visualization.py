"""Drawing the maps a method computes over images (``tools/visualize.py``).
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import DATASETS, MODELS
from PIL import Image

from .models.selfsup.base import MAP_KINDS, FGSelfSupervisor


def load_trained_model(cfg, checkpoint: str) -> FGSelfSupervisor:
    """The config's algorithm with the checkpoint's weights (strict), in eval
    mode."""
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = cfg.model.to_dict()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    model = MODELS.build(model_cfg)
    if not isinstance(model, FGSelfSupervisor):
        raise SystemExit(f'{cfg.filename} builds a {cfg.model.type}, not an '
                         'mmfgssl self-supervised algorithm')
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.eval()


def sample_test_images(cfg, num: int) -> Tuple[torch.Tensor, List[str]]:
    """``num`` query images of the config's test split, spread over it, as
    the test pipeline produces them (``(num, 3, H, W)`` uint8, BGR), and
    their file paths."""
    dataset = DATASETS.build(cfg.test_dataloader.dataset.to_dict())
    queries = getattr(dataset, 'query', dataset)
    offset = len(dataset) - len(queries)  # EvalSplitsDataset: memory first
    picks = np.linspace(0, len(queries) - 1, num).round().astype(int)
    samples = [dataset[offset + i] for i in picks]
    return (torch.stack([s['inputs'] for s in samples]),
            [s['data_samples'].img_path for s in samples])


def ground_truth_parts(img_path: str) -> Optional[np.ndarray]:
    """The synthetic benchmark's part label map of an image (``images/`` ->
    ``parts/``, ``.png``), or None if it has none."""
    root, sep, rel = img_path.rpartition(osp.sep + 'images' + osp.sep)
    path = osp.join(root, 'parts', osp.splitext(rel)[0] + '.png')
    return np.array(Image.open(path)) if sep and osp.isfile(path) else None


def to_rgb_images(images_bgr: torch.Tensor) -> List[np.ndarray]:
    return [
        img.permute(1, 2, 0).numpy()[..., ::-1].copy() for img in images_bgr
    ]


def heatmap_overlay(image: np.ndarray,
                    heat: torch.Tensor,
                    alpha: float = 0.5) -> np.ndarray:
    """Blend a map ``(h, w)`` (any range, upsampled bilinearly and min-max
    scaled) as a JET heatmap over an RGB uint8 image."""
    heat = F.interpolate(
        heat[None, None].float(),
        size=image.shape[:2],
        mode='bilinear',
        align_corners=False)[0, 0]
    heat = heat - heat.min()
    heat = (heat / (heat.max() + 1e-12) * 255).byte().numpy()
    colour = cv2.applyColorMap(heat, cv2.COLORMAP_JET)[..., ::-1]
    return (alpha * colour + (1 - alpha) * image).astype(np.uint8)


def image_tile(image: np.ndarray, bgr: torch.Tensor) -> np.ndarray:
    """A ``(3, H, W)`` uint8 BGR image as an RGB tile of ``image``'s size."""
    rgb = bgr.permute(1, 2, 0).numpy()[..., ::-1]
    return cv2.resize(
        np.ascontiguousarray(rgb),
        image.shape[1::-1],
        interpolation=cv2.INTER_LINEAR)


def channel_grid(image: np.ndarray, mask: torch.Tensor) -> np.ndarray:
    """A ``(C,)`` boolean channel mask as an RGB tile of ``image``'s size:
    a row-major grid of C cells, True red, False grey (unused cells
    white)."""
    cols = int(np.ceil(np.sqrt(mask.numel())))
    rows = -(-mask.numel() // cols)
    cells = np.full(rows * cols, 2)
    cells[:mask.numel()] = mask.numpy().astype(int)
    palette = np.array([[200, 200, 200], [220, 40, 40], [255, 255, 255]],
                       np.uint8)
    return cv2.resize(
        palette[cells.reshape(rows, cols)],
        image.shape[1::-1],
        interpolation=cv2.INTER_NEAREST)


def draw_map(image: np.ndarray, kind: str, values: torch.Tensor) -> np.ndarray:
    """One map of kind ``'heat'``, ``'labels'``, ``'image'`` or
    ``'channels'`` (see :class:`VisualMap`) drawn for an RGB uint8 image."""
    if kind == 'heat':
        return heatmap_overlay(image, values)
    if kind == 'labels':
        return label_overlay(image, values.numpy())
    if kind == 'image':
        return image_tile(image, values)
    if kind == 'channels':
        return channel_grid(image, values)
    raise ValueError(f'map kind {kind!r}: use one of {MAP_KINDS}')


def label_overlay(image: np.ndarray,
                  labels: np.ndarray,
                  alpha: float = 0.55) -> np.ndarray:
    """Blend an integer label map (any size, nearest upsampling) in distinct
    colours over an RGB uint8 image."""
    labels = cv2.resize(
        labels.astype(np.int32).astype(np.float32),
        image.shape[1::-1],
        interpolation=cv2.INTER_NEAREST).astype(int)
    palette = np.random.default_rng(0).integers(0, 256, (labels.max() + 1, 3))
    return (alpha * palette[labels] + (1 - alpha) * image).astype(np.uint8)


def image_grid(rows: Sequence[Sequence[np.ndarray]],
               scale: int = 2,
               pad: int = 2) -> np.ndarray:
    """Tile equally sized RGB images row by row, magnified ``scale`` times."""
    h, w = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    grid = np.full(((h + pad) * len(rows) + pad, (w + pad) * cols + pad, 3),
                   255, np.uint8)
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            y, x = pad + r * (h + pad), pad + c * (w + pad)
            grid[y:y + h, x:x + w] = img
    return cv2.resize(
        grid, (grid.shape[1] * scale, grid.shape[0] * scale),
        interpolation=cv2.INTER_NEAREST)

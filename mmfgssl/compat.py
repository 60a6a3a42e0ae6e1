"""Fixes for the verified stack (torch 2.14, mmcv 2.1.0, mmengine 0.10.7),
applied once on ``import mmfgssl``.

1. **Safe checkpoint loading** (torch >= 2.6 loads weights-only, and
   mmengine's own checkpoints hold ``HistoryBuffer`` objects and numpy
   values): every scheme of mmengine's ``CheckpointLoader`` goes through
   :mod:`mmfgssl.checkpoint`, which allow-lists exactly those types and
   drops executable config text.
2. **mmcv 2.1.0 colour jitter under numpy 2.** ``mmcv.adjust_hue`` adds
   ``np.uint8(hue_factor * 255)``, which numpy >= 2 refuses for negative
   factors (numpy 1 wrapped it modulo 256), so every MoCo-style ColorJitter
   crashes. A drop-in version does the modulo explicitly.
   mmpretrain's ColorJitter also makes mmcv warn "Only use 'alpha' for
   pillow backend" on every image; that warning is silenced.
3. **Distributed training on CPU.** mmengine's ``init_dist`` calls
   ``torch.cuda.set_device`` unconditionally and the Runner wraps the model
   in DDP with GPU ``device_ids``. Without a GPU, mmfgssl uses the ``gloo``
   backend and ``device_ids=None``.
"""
import contextlib
import warnings

import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric
import numpy as np
import torch
import torch.distributed as torch_dist
from mmengine.runner import runner as mm_runner
from PIL import Image

from . import checkpoint  # noqa: F401  (registers the safe loaders)
from .checkpoint import UnsafeCheckpointError, safe_torch_load  # noqa: F401

# ------------------------------------------------------ hue under numpy 2 ----
_mmcv_adjust_hue = mmcv.image.photometric.adjust_hue


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None) -> np.ndarray:
    """``mmcv.adjust_hue`` with the hue shift taken modulo 256 explicitly.

    Same arguments, checks and results as mmcv 2.1.0 under numpy 1.
    """
    if hue_factor >= 0:
        return _mmcv_adjust_hue(img, hue_factor, backend)
    backend = backend or mmcv.image.io.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f'backend: {backend} is not supported.')
    if not -0.5 <= hue_factor:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    shift = int(hue_factor * 255) % 256
    if backend == 'pillow':
        hsv = np.array(Image.fromarray(img[..., ::-1]).convert('HSV'))
        hsv[..., 0] = (hsv[..., 0].astype(np.int32) + shift) % 256
        rgb = np.array(Image.fromarray(hsv, 'HSV').convert('RGB'))
        return rgb.astype(img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + shift) % 256
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


# ----------------------------------------------------------- CPU + DDP ----
@contextlib.contextmanager
def _no_cuda_set_device():
    original = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = original


_mmengine_init_dist = mm_runner.init_dist


def init_dist(launcher, backend='nccl', **kwargs):
    """mmengine's ``init_dist``; on a machine without GPU, gloo and no
    ``torch.cuda.set_device``."""
    if torch.cuda.is_available():
        return _mmengine_init_dist(launcher, backend=backend, **kwargs)
    with _no_cuda_set_device():
        return _mmengine_init_dist(launcher, backend='gloo', **kwargs)


_mmengine_wrap_model = mm_runner.Runner.wrap_model


def wrap_model(self, model_wrapper_cfg, model):
    """The Runner's ``wrap_model``; without a GPU, DDP gets no device ids."""
    if (torch_dist.is_available() and torch_dist.is_initialized()
            and not torch.cuda.is_available()):
        model_wrapper_cfg = dict(model_wrapper_cfg or {})
        model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
        model_wrapper_cfg.setdefault('broadcast_buffers', False)
        model_wrapper_cfg.setdefault(
            'find_unused_parameters',
            self.cfg.get('find_unused_parameters', False))
        model_wrapper_cfg['device_ids'] = None
    return _mmengine_wrap_model(self, model_wrapper_cfg, model)


warnings.filterwarnings(
    'ignore', message="Only use 'alpha' for pillow backend")
mmcv.adjust_hue = mmcv.image.adjust_hue = adjust_hue
mmcv.image.photometric.adjust_hue = adjust_hue
mm_runner.init_dist = init_dist
mm_runner.Runner.wrap_model = wrap_model

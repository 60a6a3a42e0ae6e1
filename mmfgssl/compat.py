"""Fixes for the verified stack (torch 2.14, mmengine 0.10.7), applied once on
``import mmfgssl``.

1. **Safe checkpoint loading.** torch >= 2.6 loads with ``weights_only=True``;
   mmengine 0.10.7 checkpoints hold ``HistoryBuffer`` objects and numpy
   values, so ``--resume`` and ``init_cfg=Pretrained`` fail. Instead of
   turning the safe loader off, the exact types mmengine writes are
   allow-listed and every local checkpoint goes through the weights-only
   unpickler. Anything else in a pickle (e.g. ``os.system``) is refused with
   :class:`UnsafeCheckpointError` naming the file and the object.
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
import os.path as osp
import pickle
import warnings

import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric
import numpy as np
import torch
from PIL import Image
import torch.distributed as torch_dist
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import checkpoint as mm_checkpoint
from mmengine.runner import runner as mm_runner


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint contains a pickled object outside the allow-list."""


_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_statistic(owner, name):
    """Stands in for ``builtins.getattr`` while unpickling.

    A HistoryBuffer pickles its statistic methods as
    ``getattr(HistoryBuffer, 'mean')``; a real ``getattr`` would give a
    malicious pickle any attribute of any allowed object, so only those
    lookups are answered.
    """
    allowed = set(_HISTORY_BUFFER_STATISTICS) | set(
        HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise UnsafeCheckpointError(
        f'getattr({owner!r}, {name!r}) is not a HistoryBuffer statistic')


# Exactly what mmengine 0.10.7 pickles next to tensors: the message hub's
# HistoryBuffers (with their statistic methods) and the numpy values it logs.
_numpy_core = getattr(np, '_core', None) or np.core  # numpy 2 / numpy 1
_NUMPY_DTYPES = [
    type(np.dtype(t))
    for t in (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
              np.int8, np.uint8, np.bool_)
]
MMENGINE_CHECKPOINT_GLOBALS = [
    HistoryBuffer,
    (_history_buffer_statistic, 'builtins.getattr'),
    np.dtype,
    np.ndarray,
    *_NUMPY_DTYPES,
    # numpy 2 pickles under numpy._core, numpy 1 under numpy.core.
    *[(getattr(_numpy_core.multiarray, fn), f'{module}.multiarray.{fn}')
      for fn in ('_reconstruct', 'scalar')
      for module in ('numpy._core', 'numpy.core')],
]


def safe_torch_load(filename, map_location=None):
    """``torch.load`` with the weights-only unpickler and mmengine's types.

    Raises:
        UnsafeCheckpointError: the file pickles anything else.
    """
    with torch.serialization.safe_globals(MMENGINE_CHECKPOINT_GLOBALS):
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as error:
            name = filename if isinstance(filename, str) else '<buffer>'
            # torch's text: a preamble (that suggests weights_only=False,
            # which is exactly what must not be done), the reason, a link.
            paragraphs = [p.strip() for p in str(error).split('\n\n')[1:]]
            reason = next(
                (p for p in paragraphs
                 if p and not p.startswith('Check the documentation')),
                str(error))
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {name}: it pickles an object '
                f'that is neither a tensor nor a type mmengine writes '
                f'({reason}). Loading it could run arbitrary code. Only load '
                'checkpoints you trust; convert a trusted one to a plain '
                'state_dict with torch.save(model.state_dict(), path).'
            ) from error


@mm_checkpoint.CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename, map_location=None):
    """mmengine's local-file loader, going through :func:`safe_torch_load`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


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

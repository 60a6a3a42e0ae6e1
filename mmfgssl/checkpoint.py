"""The one way mmfgssl reads a checkpoint: a checkpoint is data, never code.

Every path that loads weights ends in mmengine's ``CheckpointLoader``
(``load_from``, ``--resume``, ``init_cfg=Pretrained``, the linear probe's
frozen backbone, the part-segmentation backbone, the visualisation tool).
On import this module registers a loader for **every** scheme mmengine
knows, so that:

* every file is unpickled by torch's weights-only unpickler, which rebuilds
  tensors and plain containers only, with exactly the types mmengine writes
  next to them allow-listed (``HistoryBuffer`` and its statistic methods,
  numpy arrays, scalars and dtypes). Anything else (``os.system``, a class
  that runs code when rebuilt, ...) is refused with
  :class:`UnsafeCheckpointError`, naming the file and the object;
* remote checkpoints (``http(s)://``, ``torchvision://``, ``open-mmlab://``,
  ``mmcls://``) are downloaded into torch's hub cache, where torch.hub puts
  them, and then loaded from there like any local file: a file planted in
  the cache is checked too (torch.hub itself unpickles them unrestricted);
* configuration text stored in a checkpoint (mmengine's ``meta.cfg``, older
  ``meta.config``) is Python source that mmengine would execute when it
  parses it (``Runner.resume`` does, for ``meta.config``). It is dropped on
  load. mmfgssl's runner stores the model config as plain data instead
  (``meta.model_config``);
* a file that is no checkpoint at all (empty, truncated, random bytes) is
  named as such (:class:`CheckpointFormatError`).

Loading weights into a module goes through :func:`load_state_dict_strict`
(every key used, every parameter found, shapes equal; otherwise an error
naming the file and the keys), and the ``Pretrained`` initialiser is
replaced by a compatible one that can be strict and can convert foreign
layouts (torchvision's ResNet, ...) with a named converter.
"""
import io
import os
import os.path as osp
import pickle
from typing import Callable, Dict, Optional
from urllib.parse import urlparse

import numpy as np
import torch
import torch.nn as nn
from mmengine.dist import barrier, get_dist_info
from mmengine.fileio import get_file_backend
from mmengine.logging import print_log
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner import checkpoint as mm_checkpoint


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint contains a pickled object outside the allow-list."""


class CheckpointFormatError(ValueError):
    """A file that should be a checkpoint is not one."""


# ------------------------------------------------ weights-only unpickling ----
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


def _is_restriction(error: pickle.UnpicklingError) -> bool:
    """Did the weights-only unpickler refuse an object (rather than fail to
    read the file)?"""
    text = str(error)
    # 'Unsupported operand' is a byte that is no pickle opcode: garbage.
    return any(
        sign in text for sign in ('GLOBAL', 'getattr(', 'Unsupported class'))


def safe_torch_load(source, map_location=None, name: Optional[str] = None):
    """``torch.load`` with the weights-only unpickler and mmengine's types.

    Args:
        source: a path or a binary file object.
        map_location: as :func:`torch.load`.
        name: how to name the source in errors (default: the path).

    Raises:
        UnsafeCheckpointError: the file pickles anything else.
        CheckpointFormatError: the file is not a torch checkpoint.
    """
    name = name or (source if isinstance(source, str) else '<buffer>')
    if isinstance(source, str) and osp.getsize(source) == 0:
        raise CheckpointFormatError(f'{name} is empty (0 bytes): not a '
                                    'checkpoint')
    with torch.serialization.safe_globals(MMENGINE_CHECKPOINT_GLOBALS):
        try:
            return torch.load(
                source, map_location=map_location, weights_only=True)
        except UnsafeCheckpointError as error:
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {name}: {error}') from error
        except pickle.UnpicklingError as error:
            if not _is_restriction(error):
                raise CheckpointFormatError(
                    f'{name} is not a readable torch checkpoint '
                    f'({str(error).splitlines()[-1]})') from error
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
        except Exception as error:  # noqa: BLE001
            # Bytes that are no pickle fail inside the weights-only
            # unpickler with whatever its stack machine hits first
            # (IndexError, KeyError, struct.error, EOFError, ...); none of
            # them can have run code, since only allow-listed globals are
            # ever called.
            raise CheckpointFormatError(
                f'{name} is not a readable torch checkpoint (truncated or '
                f'another format: {type(error).__name__}: {error})'
            ) from error


CONFIG_TEXT_KEYS = ('cfg', 'config')


def drop_config_text(checkpoint):
    """Remove the Python config text mmengine stores in ``meta`` (it would
    execute it when parsed); the rest of the checkpoint is kept."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict):
        for key in CONFIG_TEXT_KEYS:
            meta.pop(key, None)
    return checkpoint


def load_checkpoint_file(path: str, map_location=None, name=None):
    """A local checkpoint file through the safe unpickler, config text
    dropped."""
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    return drop_config_text(safe_torch_load(path, map_location, name))


# ------------------------------------------------------------- schemes ----
def hub_cache_path(url: str) -> str:
    """Where torch.hub keeps the download of ``url``."""
    filename = osp.basename(urlparse(url).path)
    return osp.join(torch.hub.get_dir(), 'checkpoints', filename)


def download_to_hub_cache(url: str) -> str:
    """Download ``url`` into torch's hub cache unless it is there (the first
    process of each machine downloads, the others wait)."""
    path = hub_cache_path(url)
    rank, world_size = get_dist_info()
    local_rank = int(os.environ.get('LOCAL_RANK', rank))
    if local_rank == 0 and not osp.isfile(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
        print_log(f'downloading {url} to {path}', logger='current')
        torch.hub.download_url_to_file(url, path, progress=False)
    if world_size > 1:
        barrier()
    return path


def load_from_local(filename, map_location=None):
    return load_checkpoint_file(filename, map_location)


def load_from_http(filename, map_location=None):
    path = download_to_hub_cache(filename)
    return load_checkpoint_file(path, map_location, f'{path} ({filename})')


def load_from_torchvision(filename, map_location=None):
    name = filename.split('://', 1)[1]
    urls = mm_checkpoint.get_torchvision_models()
    if name not in urls:
        raise KeyError(f'{filename}: torchvision has no model {name!r}')
    return load_from_http(urls[name], map_location)


def load_from_openmmlab(filename, map_location=None):
    name = filename.split('://', 1)[1]
    name = mm_checkpoint.get_deprecated_model_names().get(name, name)
    url = mm_checkpoint.get_external_models()[name]
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location)
    return load_checkpoint_file(
        osp.join(mm_checkpoint._get_mmengine_home(), url), map_location)


def load_from_mmcls(filename, map_location=None):
    url = mm_checkpoint.get_mmcls_models()[filename[len('mmcls://'):]]
    return mm_checkpoint._process_mmcls_checkpoint(
        load_from_http(url, map_location))


def load_from_object_storage(filename, map_location=None, backend='petrel'):
    data = get_file_backend(
        filename, backend_args={
            'backend': backend
        }).get(filename)
    return drop_config_text(
        safe_torch_load(io.BytesIO(data), map_location, filename))


def refuse_scheme(filename, map_location=None):
    raise ValueError(
        f'{filename}: mmfgssl loads checkpoints only through its safe loader, '
        'which does not support this scheme; download the file and pass its '
        'local path')


SAFE_LOADERS: Dict[str, Callable] = {
    '': load_from_local,
    'http://': load_from_http,
    'https://': load_from_http,
    'torchvision://': load_from_torchvision,
    'modelzoo://': load_from_torchvision,
    'open-mmlab://': load_from_openmmlab,
    'openmmlab://': load_from_openmmlab,
    'mmcls://': load_from_mmcls,
    r'(\S+\:)?s3://': load_from_object_storage,
    r'(\S+\:)?petrel://': load_from_object_storage,
}


def register_safe_loaders() -> None:
    """Route every scheme of mmengine's ``CheckpointLoader`` through the
    safe loader; a scheme mmfgssl does not know is refused, so none can
    bypass it."""
    for prefix in list(mm_checkpoint.CheckpointLoader._schemes):
        if prefix not in SAFE_LOADERS:
            mm_checkpoint.CheckpointLoader.register_scheme(
                prefix, refuse_scheme, force=True)
    for prefix, loader in SAFE_LOADERS.items():
        mm_checkpoint.CheckpointLoader.register_scheme(
            prefix, loader, force=True)


def register_scheme(prefix: str, loader: Callable) -> None:
    """Add a scheme whose loader ends in :func:`load_checkpoint_file`."""
    SAFE_LOADERS[prefix] = loader
    mm_checkpoint.CheckpointLoader.register_scheme(prefix, loader, force=True)


# --------------------------------------------------- weights into modules ----
CONVERTERS: Dict[str, Callable[[dict], dict]] = {}


def register_converter(name: str):
    """Register a function ``state_dict -> state_dict`` that rewrites a
    foreign checkpoint layout into mmpretrain's keys (used with
    ``init_cfg=dict(type='Pretrained', convert=name)``)."""

    def decorate(fn):
        if name in CONVERTERS:
            raise KeyError(f'converter {name!r} is already registered')
        CONVERTERS[name] = fn
        return fn

    return decorate


def state_dict_of(checkpoint, source: str) -> dict:
    """The tensors of a checkpoint: its ``state_dict`` (or ``model``) entry,
    or the checkpoint itself when it is a bare state dict."""
    if not isinstance(checkpoint, dict):
        raise CheckpointFormatError(
            f'{source} holds a {type(checkpoint).__name__}, not a state dict')
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def strip_prefix(state_dict: dict, prefix: str, source: str) -> dict:
    """The entries under ``prefix``, without it."""
    selected = {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }
    if not selected:
        raise KeyError(f'{source} has no weights under {prefix!r} (first '
                       f'keys: {list(state_dict)[:5]})')
    return selected


def load_state_dict_strict(module: nn.Module, state_dict: dict,
                           source: str) -> None:
    """Load ``state_dict`` into ``module``: every module key must be found
    with its shape and every checkpoint key used, or the error names the
    file and the keys at fault (nothing is loaded then)."""
    own = module.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    shapes = [
        f'{k}: {tuple(state_dict[k].shape)} vs {tuple(v.shape)}'
        for k, v in own.items()
        if k in state_dict and hasattr(state_dict[k], 'shape')
        and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:

        def few(keys):
            return f'{len(keys)} ({", ".join(keys[:4])}' + (
                ', ...)' if len(keys) > 4 else ')')

        raise RuntimeError(
            f'{source} does not fit {type(module).__name__}: missing keys '
            f'{few(missing)}, unexpected keys {few(unexpected)}, shape '
            f'mismatches {few(shapes)}')
    module.load_state_dict(state_dict, strict=True)


@WEIGHT_INITIALIZERS.register_module(name='Pretrained', force=True)
class StrictablePretrainedInit(PretrainedInit):
    """mmengine's ``Pretrained`` initialiser, through the safe loader, with
    two options.

    It keeps the name ``Pretrained`` because mmengine and mmpretrain treat
    that type specially: it is applied after the module's own
    initialisation (ResNet's zero-initialised residual norms, ViT's
    position embedding), so the loaded weights are the final ones.

    Args:
        checkpoint: path or URL (any scheme of :mod:`mmfgssl.checkpoint`).
        prefix: load only the keys under this prefix, without it.
        map_location: as :func:`torch.load`.
        strict: every module key found, every loaded key used, equal shapes
            (mmengine's default, False, only logs mismatches).
        convert: name of a registered converter (:data:`CONVERTERS`)
            applied to the checkpoint's state dict first, e.g.
            ``'torchvision_resnet'``.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 strict: bool = False,
                 convert: Optional[str] = None) -> None:
        super().__init__(checkpoint, prefix, map_location)
        if convert is not None and convert not in CONVERTERS:
            raise KeyError(f'unknown checkpoint converter convert={convert!r};'
                           f' registered: {sorted(CONVERTERS)}')
        self.strict, self.convert = strict, convert

    def __call__(self, module: nn.Module) -> None:
        if not self.strict and self.convert is None:
            super().__call__(module)
            return
        if not self.checkpoint:
            raise ValueError(
                'init_cfg checkpoint is empty: pass the checkpoint, e.g. '
                '--cfg-options model.backbone.init_cfg.checkpoint=<path>')
        print_log(
            f'load {self.prefix or "weights"} from {self.checkpoint}',
            logger='current')
        state = state_dict_of(
            mm_checkpoint._load_checkpoint(self.checkpoint, self.map_location),
            self.checkpoint)
        if self.convert is not None:
            state = CONVERTERS[self.convert](state)
        if self.prefix:
            state = strip_prefix(state, self.prefix, self.checkpoint)
        source = self.checkpoint + (f' ({self.prefix}*)'
                                    if self.prefix else '')
        if self.strict:
            load_state_dict_strict(module, state, source)
        else:
            mm_checkpoint.load_state_dict(module, state, logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())


@register_converter('torchvision_resnet')
def torchvision_resnet(state_dict: dict) -> dict:
    """A torchvision-layout ResNet state dict (e.g. torchvision's ImageNet
    weights, or DetCon's ``resnet50_detcon.pth`` that the PARTICLE code
    loads) as mmpretrain's ``ResNet`` keys: the layouts agree but for the
    classifier ``fc``, which is dropped, and a DataParallel ``module.``
    prefix, which is removed."""
    out = {}
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        if not key.startswith('fc.'):
            out[key] = value
    return out


# torchvision ViT -> mmpretrain ViT, per encoder layer (both fuse q, k, v in
# one projection in the same order; torchvision < 0.13 named the MLP's
# linear layers linear_1/linear_2)
_TORCHVISION_VIT_LAYER_KEYS = {
    'ln_1': 'ln1',
    'self_attention.in_proj_weight': 'attn.qkv.weight',
    'self_attention.in_proj_bias': 'attn.qkv.bias',
    'self_attention.out_proj': 'attn.proj',
    'ln_2': 'ln2',
    'mlp.0': 'ffn.layers.0.0',
    'mlp.linear_1': 'ffn.layers.0.0',
    'mlp.3': 'ffn.layers.1',
    'mlp.linear_2': 'ffn.layers.1',
}
_TORCHVISION_VIT_KEYS = {
    'class_token': 'cls_token',
    'conv_proj': 'patch_embed.projection',
    'encoder.pos_embedding': 'pos_embed',
    'encoder.ln': 'ln1',
}


@register_converter('torchvision_vit')
def torchvision_vit(state_dict: dict) -> dict:
    """A torchvision ``VisionTransformer`` state dict (e.g. the supervised
    ImageNet ViT-B/16 both LoDisc encoders start from) as mmpretrain's
    ``VisionTransformer`` keys. The classifier ``heads`` is dropped and a
    DataParallel ``module.`` prefix removed. torchvision's LayerNorms use
    eps 1e-6: build the mmpretrain ViT with ``norm_cfg=dict(type='LN',
    eps=1e-6)`` to reproduce its outputs."""
    out = {}
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        if key.startswith('heads.'):
            continue
        layer, sep, rest = key.partition('encoder.layers.encoder_layer_')
        if sep and not layer:
            index, _, name = rest.partition('.')
            new = next((f'layers.{index}.{mm}{name[len(tv):]}'
                        for tv, mm in _TORCHVISION_VIT_LAYER_KEYS.items()
                        if name == tv or name.startswith(tv + '.')), None)
        else:
            new = next((mm + key[len(tv):]
                        for tv, mm in _TORCHVISION_VIT_KEYS.items()
                        if key == tv or key.startswith(tv + '.')), None)
        if new is None:
            raise KeyError(f'torchvision_vit: unknown torchvision ViT key '
                           f'{key!r}')
        out[new] = value
    return out


# official DINO ViT (facebookresearch/dino vision_transformer.py, which the
# PARTICLE code vendors) -> mmpretrain ViT, per block and for the rest
_DINO_VIT_LAYER_KEYS = {
    'norm1': 'ln1',
    'attn.qkv': 'attn.qkv',
    'attn.proj': 'attn.proj',
    'norm2': 'ln2',
    'mlp.fc1': 'ffn.layers.0.0',
    'mlp.fc2': 'ffn.layers.1',
}
_DINO_VIT_KEYS = {
    'cls_token': 'cls_token',
    'pos_embed': 'pos_embed',
    'patch_embed.proj': 'patch_embed.projection',
    'norm': 'ln1',
}
# modules of a DINO / PARTICLE training checkpoint that are not the ViT: the
# DINO head (outside the backbone) and PARTICLE's part projector (inside it)
_DINO_NON_VIT_PREFIXES = ('head.', 'projector.')


def _rename(key: str, table: dict) -> Optional[str]:
    return next((new + key[len(old):] for old, new in table.items()
                 if key == old or key.startswith(old + '.')), None)


@register_converter('dino_vit')
def dino_vit(state_dict: dict) -> dict:
    """An official DINO ViT state dict as mmpretrain's ``VisionTransformer``
    keys: the released backbone weights (``dino_deitsmall8_pretrain.pth``:
    ``cls_token``, ``pos_embed``, ``patch_embed.proj``, ``blocks.{i}.norm1
    / attn.qkv / attn.proj / norm2 / mlp.fc1 / mlp.fc2``, ``norm``), or a
    DINO / PARTICLE training state re-saved as plain tensors: its
    ``teacher`` (the network DINO evaluates; else ``student``) with the
    ``module.`` (DDP) and ``backbone.`` (multi-crop wrapper) prefixes
    removed and the DINO head and PARTICLE's projector dropped. Both ViTs
    are pre-norm with LayerNorm eps 1e-6 and a GELU MLP, as mmpretrain's
    default; qkv bias on (ViT-S/B)."""
    for network in ('teacher', 'student'):
        if isinstance(state_dict.get(network), dict):
            state_dict = state_dict[network]
            break
    out = {}
    for key, value in state_dict.items():
        for prefix in ('module.', 'backbone.'):
            key = key[len(prefix):] if key.startswith(prefix) else key
        if key.startswith(_DINO_NON_VIT_PREFIXES):
            continue
        block, sep, rest = key.partition('blocks.')
        if sep and not block:
            index, _, name = rest.partition('.')
            new = _rename(name, _DINO_VIT_LAYER_KEYS)
            new = new and f'layers.{index}.{new}'
        else:
            new = _rename(key, _DINO_VIT_KEYS)
        if new is None:
            raise KeyError(f'dino_vit: unknown DINO ViT key {key!r}')
        out[new] = value
    return out


register_safe_loaders()

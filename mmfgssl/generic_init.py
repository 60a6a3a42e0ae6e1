"""The generic initialisation: the stand-in for ImageNet weights.

Every paper here starts from ImageNet weights; on the synthetic benchmark the
CPU backbones start from supervised pre-training on the generic synthetic
objects (:mod:`mmfgssl.datasets.generic`) instead. ``tools/make_generic_init.py
NAME`` makes it once, deterministically, and caches it outside the checkout
(like the mmcv wheel); configs load it as ``generic://NAME`` through the safe
checkpoint loader, and a missing one names the command that makes it.
"""
import os
import os.path as osp

import torch

from .checkpoint import load_checkpoint_file, register_scheme

# Bump a backbone's version when its pre-training recipe changes, and all of
# them with the data set's: a new version is a new cache entry, so an outdated
# checkpoint is never used.
DATA_VERSION = 'v4'
VERSIONS = {
    'resnet18_cpu': 'v4',
    'vit_cpu': 'v5',  # v5: convolutional stem, distilled from the ResNet
}
BACKBONES = tuple(VERSIONS)


def cache_dir() -> str:
    """``$MMFGSSL_CACHE`` or ``~/.cache/mmfgssl``."""
    return os.environ.get('MMFGSSL_CACHE') or osp.join(
        os.environ.get('XDG_CACHE_HOME') or osp.expanduser('~/.cache'),
        'mmfgssl')


def checkpoint_path(name: str) -> str:
    """Where the generic initialisation of backbone ``name`` is cached."""
    return osp.join(cache_dir(), 'generic_init',
                    f'{name}-{VERSIONS[name]}.pth')


def write_checkpoint(name: str, backbone_state: dict, **meta) -> str:
    """Cache ``backbone_state`` (keys under ``backbone.``) as
    ``generic://name``, written to a temporary file and renamed, so a
    failed write never leaves a truncated checkpoint in the cache."""
    if name not in BACKBONES:
        raise KeyError(f'no generic initialisation named {name!r}; known: '
                       f'{", ".join(BACKBONES)}')
    if not backbone_state or not all(
            k.startswith('backbone.') for k in backbone_state):
        raise ValueError('a generic initialisation holds backbone weights '
                         'only, under the prefix "backbone."')
    target = checkpoint_path(name)
    os.makedirs(osp.dirname(target), exist_ok=True)
    partial = target + '.partial'
    torch.save(
        dict(
            state_dict=backbone_state,
            meta=dict(meta, generic_init=name, version=VERSIONS[name])),
        partial)
    os.replace(partial, target)
    return target


def load_from_generic(filename: str, map_location=None):
    name = filename[len('generic://'):]
    if name not in BACKBONES:
        raise KeyError(f'{filename}: no generic initialisation named {name!r}'
                       f'; known: {", ".join(BACKBONES)}')
    path = checkpoint_path(name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'the generic initialisation {filename} is not made yet ({path} '
            f'is missing). Make it once with:\n'
            f'    python tools/make_generic_init.py {name}\n'
            'or train from random initialisation with '
            '--cfg-options model.backbone.init_cfg=None')
    return load_checkpoint_file(path, map_location)


register_scheme('generic://', load_from_generic)

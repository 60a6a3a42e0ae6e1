"""Make (once) the generic initialisation of the CPU backbones: the
stand-in for ImageNet weights on the synthetic benchmark.

    python tools/make_generic_init.py [NAME ...] [--force]
    python tools/make_generic_init.py --for-configs CONFIG [CONFIG ...]

NAME is a backbone of configs/generic_init/ (default: all; with
--for-configs, those the configs' backbones start from). For each, this
draws the generic synthetic objects (mmfgssl/datasets/generic.py; seeded),
pre-trains the backbone on them with labels (configs/generic_init/NAME.py,
seeded, through tools/train.py) and caches its weights as
``generic://NAME`` (``$MMFGSSL_CACHE`` or ``~/.cache/mmfgssl``), where the
synthetic configs load them from. A cached one is reused unless --force.
A pre-training that learns from another generic backbone (the ViT's, from
the ResNet's features) makes that one first.
"""
import argparse
import fcntl
import json
import os
import os.path as osp
import shutil
import time
from contextlib import contextmanager

from mmengine.config import Config

from mmfgssl import generic_init
from mmfgssl.checkpoint import load_checkpoint_file, state_dict_of
from mmfgssl.datasets.generic import make_generic_objects
from mmfgssl.utils import run_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@contextmanager
def exclusive(path: str):
    """Hold an exclusive lock on ``path``: two of these tools started at once
    (one per backbone) draw the shared objects once and never train into the
    same work directory."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def generic_names_in(configs) -> list:
    """The generic initialisations the models of ``configs`` load."""
    models = ' '.join(str(Config.fromfile(path).model) for path in configs)
    return [
        name for name in generic_init.BACKBONES
        if f'generic://{name}' in models
    ]


def generic_config(name: str) -> str:
    """The config that pre-trains generic initialisation ``name``."""
    return osp.join(REPO, 'configs', 'generic_init', f'{name}.py')


def make(name: str, force: bool) -> None:
    for teacher in generic_names_in([generic_config(name)]):
        if teacher != name:
            make(teacher, force=False)
    root = osp.join(generic_init.cache_dir(), 'generic_init')
    with exclusive(osp.join(root, f'{name}.lock')):
        make_unlocked(name, force, root)


def make_unlocked(name: str, force: bool, root: str) -> None:
    target = generic_init.checkpoint_path(name)
    if osp.isfile(target) and not force:
        print(f'{name}: cached at {target}')
        return
    data = osp.join(root, f'generic_objects-{generic_init.DATA_VERSION}')
    with exclusive(data + '.lock'):
        if not osp.isfile(osp.join(data, 'images.txt')):
            counts = make_generic_objects(data, overwrite=True)
            print(f'generic objects: {counts} in {data}')
    work = osp.join(root, f'work_{name}-{generic_init.VERSIONS[name]}')
    if osp.isdir(work):
        shutil.rmtree(work)  # a previous, unfinished attempt of this tool
    os.makedirs(work)
    start = time.time()
    print(
        f'{name}: pre-training on the generic objects with their labels '
        f'(configs/generic_init/{name}.py; log: {work}/train.log)',
        flush=True)
    os.environ['MMFGSSL_GENERIC_OBJECTS'] = data  # read by the config
    run_tool(['train.py', generic_config(name), '--work-dir', work],
             osp.join(work, 'train.log'))
    with open(osp.join(work, 'last_checkpoint')) as f:
        last = f.read().strip()
    weights = state_dict_of(load_checkpoint_file(last), last)
    backbone = {k: v for k, v in weights.items() if k.startswith('backbone.')}
    metrics = sorted((osp.join(dp, f) for dp, _, fs in os.walk(work)
                      for f in fs if f.endswith('.json') and f[:8].isdigit()),
                     key=osp.getmtime)
    accuracy = None
    if metrics:
        with open(metrics[-1]) as f:
            rows = [json.loads(line) for line in f if 'accuracy' in line]
        accuracy = rows[-1].get('accuracy/top1') if rows else None
    generic_init.write_checkpoint(name, backbone, held_out_top1=accuracy)
    print(f'{name}: {len(backbone)} backbone tensors cached at {target} in '
          f'{(time.time() - start) / 60:.1f} min (held-out top-1 on the '
          f'generic objects: {accuracy})')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'names',
        nargs='*',
        metavar='NAME',
        help=f'backbones, of {", ".join(generic_init.BACKBONES)} (default: '
        'all)')
    parser.add_argument(
        '--for-configs',
        nargs='+',
        metavar='CONFIG',
        help='make the generic initialisations these configs load')
    parser.add_argument(
        '--force', action='store_true', help='make it again even if cached')
    args = parser.parse_args()
    unknown = set(args.names) - set(generic_init.BACKBONES)
    if unknown:
        parser.error(f'no generic initialisation named {sorted(unknown)}; '
                     f'known: {", ".join(generic_init.BACKBONES)}')
    names = args.names or list(generic_init.BACKBONES)
    if args.for_configs:
        names = generic_names_in(args.for_configs)
    for name in names:
        make(name, args.force)


if __name__ == '__main__':
    main()

import os
import os.path as osp
import re
import socket
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root():
    return REPO


def models_base_variable(path, variable):
    """A variable of a ``configs/_base_/models/`` file, as a plain dict."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', path))
    return cfg[variable].to_dict()


# The backbone config of each generic initialisation (a variable of a
# configs/_base_/models/ file).
GENERIC_BACKBONES = {
    'resnet18_cpu': ('resnet18_cpu.py', 'cpu_backbone'),
    'vit_cpu': ('vit_cpu.py', 'cpu_vit'),
}


def generic_backbone_config(name):
    return dict(models_base_variable(*GENERIC_BACKBONES[name]), init_cfg=None)


@pytest.fixture(autouse=True)
def seed_every_test(request):
    """Seed torch, numpy and random from the test's id, so that a test
    draws the same numbers whichever tests ran before it (or alone): a
    failure is then reproducible, never a draw of the order."""
    import random

    import numpy as np
    import torch
    seed = zlib.crc32(request.node.nodeid.encode())
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@pytest.fixture(scope='session', autouse=True)
def frozen_import_heap():
    """Move the objects of the imported libraries out of the garbage
    collector's view: mmengine runs a full ``gc.collect()`` for every data
    set it builds, which scans the whole heap of this process (0.2 s each
    with torch, mmpretrain and mmseg loaded, hundreds of builds)."""
    import gc

    import mmpretrain.models  # noqa: F401
    import mmseg.models  # noqa: F401

    import mmfgssl  # noqa: F401
    import mmfgssl.segmentation  # noqa: F401
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope='session', autouse=True)
def generic_init_cache(tmp_path_factory):
    """A private cache (``MMFGSSL_CACHE``, inherited by the tools the tests
    run) holding stand-in generic initialisations: seeded random weights of
    each CPU backbone in the format ``tools/make_generic_init.py`` writes.
    The synthetic configs load them strictly, as they load the real ones,
    without the tests paying the real ones' pre-training or touching the
    user's cache."""
    import torch
    from mmpretrain.registry import MODELS

    import mmfgssl  # noqa: F401
    from mmfgssl import generic_init
    assert set(GENERIC_BACKBONES) == set(generic_init.BACKBONES)
    cache = tmp_path_factory.mktemp('mmfgssl_cache')
    previous = os.environ.get('MMFGSSL_CACHE')
    os.environ['MMFGSSL_CACHE'] = str(cache)
    for name in GENERIC_BACKBONES:
        # not the configs' seed 0: a run that failed to load the stand-in
        # must not end up with its weights by chance
        torch.manual_seed(12345)
        backbone = MODELS.build(generic_backbone_config(name))
        generic_init.write_checkpoint(
            name,
            {f'backbone.{k}': v
             for k, v in backbone.state_dict().items()},
            stand_in_for_tests=True)
    yield cache
    if previous is None:
        os.environ.pop('MMFGSSL_CACHE', None)
    else:
        os.environ['MMFGSSL_CACHE'] = previous


@pytest.fixture(scope='session')
def tiny_synthetic(tmp_path_factory):
    """A small synthetic benchmark (4 classes x 8 images, 6 train) in a
    working directory whose ``data/synthetic_birds`` is what the synthetic
    configs read."""
    from mmfgssl.datasets import make_synthetic_birds
    workdir = tmp_path_factory.mktemp('tiny_synthetic')
    make_synthetic_birds(
        str(workdir / 'data' / 'synthetic_birds'),
        num_classes=4,
        images_per_class=8,
        train_per_class=6,
        image_size=64,
        seed=0)
    return workdir


def run_tool(args, cwd, env=None, timeout=900):
    """Run ``python <repo>/tools/<script> ...`` as a user would; return the
    completed process (stdout and stderr merged)."""
    script = args[0]
    if script.endswith('.py'):
        cmd = [sys.executable, osp.join(REPO, 'tools', script), *args[1:]]
    else:
        cmd = ['bash', osp.join(REPO, 'tools', script), *args[1:]]
    full_env = {**os.environ, "PYTHONPATH": REPO, **(env or {})}
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)


@pytest.fixture(scope='session')
def tool():
    return run_tool


def load_tool(script):
    """``tools/<script>.py`` imported as a module, to test its functions."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        script, osp.join(REPO, 'tools', f'{script}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --cfg-options for runs on the tiny synthetic benchmark: 6 training images
# per class, batch 8 (a divisor of the MoCo queue), no worker processes, and
# 2 of each class's 6 training images in the validation split (with one,
# retrieval on it is undefined: no query has another image of its class).
TINY = [
    'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
    'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
    'val_dataloader.dataset.query.holdout_fraction=0.34',
    'val_dataloader.dataset.memory.holdout_fraction=0.34'
]

# A ResNet-18 at 1/8 width, output stride 8: small enough for CPU unit tests.
TINY_RESNET = dict(
    type='ResNet',
    depth=18,
    base_channels=8,
    stem_channels=8,
    strides=(1, 2, 2, 1))


# The PARTICLE code's LayerNorm MLP, as the configs build it; tests set the
# channels.
LN_MLP = models_base_variable('particle_mlp.py', '_mlp')


def load_converted(backbone, checkpoint, convert):
    """Build the ``backbone`` config and initialise it from ``checkpoint``
    through the converter ``convert``, strictly, as a config's
    ``init_cfg=dict(type='Pretrained', ...)`` does. Returns the backbone."""
    from mmpretrain.registry import MODELS
    model = MODELS.build(
        dict(
            backbone,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=checkpoint,
                convert=convert,
                strict=True)))
    model.init_weights()
    return model


def free_port() -> str:
    """A TCP port nothing listens on, for a distributed run's master."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def assert_ok(proc):
    """The tool run succeeded; return its output."""
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


KILL_HOOK = '''
import os
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class KillAfterEpochHook(Hook):
    """Dies like a killed job right after the checkpoint of `epoch`."""
    priority = 'LOWEST'

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:
            os._exit(137)
'''


def killed_run_config(folder, base_config, custom_hooks, epoch):
    """A config that runs ``base_config`` with ``custom_hooks`` and dies
    (exit 137) right after saving the checkpoint of ``epoch``. Returns the
    config path and the environment the run needs."""
    (folder / 'kill_hook.py').write_text(KILL_HOOK)
    hooks = list(custom_hooks) + [dict(type='KillAfterEpochHook', epoch=epoch)]
    path = folder / f'killed_{osp.basename(base_config)}'
    path.write_text(f"_base_ = '{base_config}'\n"
                    "custom_imports = dict(imports=['mmfgssl', 'kill_hook'])\n"
                    f"custom_hooks = {hooks!r}\n")
    return str(path), {'PYTHONPATH': f'{REPO}:{folder}'}


def train(tool, cwd, config, work_dir, options, resume=False):
    """``tools/train.py config`` into ``work_dir`` with the ``--cfg-options``
    ``options`` (resumed from the last checkpoint there with ``resume``);
    the run succeeds. Returns its output."""
    return assert_ok(
        tool([
            'train.py', config, '--work-dir',
            str(work_dir), *(['--resume'] if resume else []), '--cfg-options',
            *options
        ],
             cwd=cwd))


def train_killed_after(tool,
                       cwd,
                       config,
                       work_dir,
                       options,
                       epoch,
                       custom_hooks=(dict(type='IterationSeedHook'), )):
    """Train ``config`` as :func:`train` until it dies like a killed job
    (exit 137) right after saving the checkpoint of ``epoch``.
    ``custom_hooks``: the config's own, which the kill hook joins."""
    kill_cfg, env = killed_run_config(cwd, config, custom_hooks, epoch)
    crashed = tool([
        'train.py', kill_cfg, '--work-dir',
        str(work_dir), '--cfg-options', *options
    ],
                   cwd=cwd,
                   env=env)
    assert crashed.returncode == 137, crashed.stdout[-6000:]


def train_two_processes(tool,
                        cwd,
                        config,
                        work_dir,
                        options,
                        *flags,
                        env=None):
    """``tools/dist_train.sh config 2`` into ``work_dir``: two CPU processes
    (gloo) on the tiny benchmark, 4 images each, then the ``--cfg-options``
    ``options``; ``flags`` go before them. The run is distributed and
    succeeds; returns its output."""
    out = assert_ok(
        tool([
            'dist_train.sh',
            str(config), '2', '--work-dir',
            str(work_dir), *flags, '--cfg-options',
            'train_dataloader.batch_size=4', *TINY[1:], *options
        ],
             cwd=cwd,
             env={
                 'PORT': free_port(),
                 **(env or {})
             }))
    assert 'Distributed training: True' in out
    return out


def train_resumed(tool, cwd, config, work_dir, options, epoch):
    """Resume the run in ``work_dir`` (:func:`train`), which must go on
    from ``epoch``; returns its output."""
    out = train(tool, cwd, config, work_dir, options, resume=True)
    assert f'resumed epoch: {epoch}' in out
    return out


def assert_same_weights(checkpoint, other):
    """Two checkpoints hold the same state-dict keys and tensors, to the bit.
    Returns both state dicts."""
    import torch

    from mmfgssl.compat import safe_torch_load
    a = safe_torch_load(str(checkpoint))['state_dict']
    b = safe_torch_load(str(other))['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    return a, b


def evaluate(tool, cwd, config, checkpoint):
    """``tools/test.py config checkpoint`` on the tiny benchmark's test
    split; it succeeds and prints the retrieval table. Returns its
    output."""
    out = assert_ok(
        tool(['test.py', config,
              str(checkpoint), '--cfg-options', *TINY[1:]],
             cwd=cwd))
    assert re.search(r'\| retrieval/mAP\s+\|\s+[\d.]+ \|', out)
    return out


def visualize(tool, cwd, config, checkpoint, png, num_images):
    """``tools/visualize.py`` of ``num_images`` test images into ``png``;
    it succeeds and writes the picture. Returns its output (the column
    titles)."""
    out = assert_ok(
        tool([
            'visualize.py', config,
            str(checkpoint), '--num-images',
            str(num_images), '--out',
            str(png)
        ],
             cwd=cwd))
    assert png.exists()
    return out


def train_linear_probe(tool,
                       cwd,
                       probe,
                       checkpoint,
                       work_dir,
                       frozen_keys,
                       epochs=1):
    """Train ``configs/linear_probe/<probe>.py`` on the frozen algorithm of
    ``checkpoint`` for ``epochs`` epochs on the tiny benchmark (validated
    after the last); each of ``frozen_keys`` of the checkpoint is unchanged
    in the probe's last checkpoint. Returns the checkpoint's state dict."""
    import torch

    from mmfgssl.compat import safe_torch_load
    out = train(
        tool, cwd, f'{REPO}/configs/linear_probe/{probe}.py', work_dir, [
            f'model.backbone.checkpoint={checkpoint}',
            f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={epochs}',
            'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
            'val_dataloader.num_workers=0'
        ])
    assert re.search(rf'Epoch\(val\) \[{epochs}\].*accuracy/top1: [\d.]+', out)
    ssl = safe_torch_load(str(checkpoint))['state_dict']
    lin = safe_torch_load(str(work_dir / f'epoch_{epochs}.pth'))['state_dict']
    for key in frozen_keys:
        assert torch.equal(ssl[key], lin['backbone.algorithm.' + key]), key
    return ssl


def innermost_dataset(dataset):
    """The innermost dataset config of a (possibly wrapped) data set."""
    while isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    return dataset


def write_real_layout(kind, root, classes=4, train=2, test=1, size=64):
    """A minimal dataset in the folder layout of CUB-200-2011 ('cub'),
    Stanford Cars ('cars', cars_annos.mat) or FGVC-Aircraft ('aircraft'),
    with synthetic bird images, for checking the real-data configs."""
    import numpy as np
    from PIL import Image

    from mmfgssl.datasets.synthetic import choose_classes, render_bird
    root = str(root)
    birds = choose_classes(classes, 0)
    items = []  # (class index, image index, is_train)
    for c in range(classes):
        items += [(c, i, i < train) for i in range(train + test)]

    def save(path, c, i):
        os.makedirs(osp.dirname(path), exist_ok=True)
        img, _ = render_bird(birds[c], size, np.random.default_rng([c, i]))
        Image.fromarray(img).save(path)

    if kind == 'cub':
        lines = {
            'images.txt': [],
            'image_class_labels.txt': [],
            'train_test_split.txt': []
        }
        for n, (c, i, is_train) in enumerate(items, 1):
            rel = f'{c + 1:03d}.cls/img_{c}_{i}.jpg'
            save(osp.join(root, 'images', rel), c, i)
            lines['images.txt'].append(f'{n} {rel}')
            lines['image_class_labels.txt'].append(f'{n} {c + 1}')
            lines['train_test_split.txt'].append(f'{n} {int(is_train)}')
        for name, rows in lines.items():
            with open(osp.join(root, name), 'w') as f:
                f.write('\n'.join(rows) + '\n')
    elif kind == 'cars':
        import mat4py
        paths, labels, flags = [], [], []
        for n, (c, i, is_train) in enumerate(items, 1):
            rel = f'car_ims/{n:06d}.jpg'
            save(osp.join(root, rel), c, i)
            paths.append(rel)
            labels.append(c + 1)
            flags.append(int(not is_train))
        mat4py.savemat(
            osp.join(root, 'cars_annos.mat'), {
                'annotations': {
                    'relative_im_path': paths,
                    'class': labels,
                    'test': flags
                }
            })
    elif kind == 'aircraft':
        from mmpretrain.datasets.categories import FGVCAIRCRAFT_CATEGORIES
        data = osp.join(root, 'data')
        splits = {'trainval': [], 'test': []}
        for n, (c, i, is_train) in enumerate(items, 1):
            save(osp.join(data, 'images', f'{n:07d}.jpg'), c, i)
            splits['trainval' if is_train else 'test'].append(
                f'{n:07d} {FGVCAIRCRAFT_CATEGORIES[c]}')
        for split, rows in splits.items():
            with open(osp.join(data, f'images_variant_{split}.txt'), 'w') as f:
                f.write('\n'.join(rows) + '\n')
        with open(osp.join(data, 'variants.txt'), 'w') as f:
            f.write('\n'.join(FGVCAIRCRAFT_CATEGORIES) + '\n')
    else:
        raise ValueError(kind)


def write_oid(root, ids=('0001', '0002', '0003')):
    """A minimal OID-Aircraft (beta 1) layout: aeroplane images, one mask
    per part and image, the train_oid.txt list."""
    import numpy as np
    from PIL import Image

    from mmfgssl.segmentation.datasets import OID_PARTS
    root = Path(root)
    for i in ids:
        img = np.full((40, 30, 3), 100, np.uint8)
        os.makedirs(root / 'data' / 'images' / 'aeroplane', exist_ok=True)
        Image.fromarray(img).save(root / 'data' / 'images' / 'aeroplane' /
                                  f'{i}.jpg')
        os.makedirs(root / 'data_oid' / i, exist_ok=True)
        for p, part in enumerate(OID_PARTS):
            mask = np.zeros((40, 30), np.uint8)
            mask[p * 5:p * 5 + 10, :] = 255  # overlapping horizontal bands
            Image.fromarray(mask).save(root / 'data_oid' / i /
                                       f'{i}_{part}.png')
    (root / 'train_oid.txt').write_text(''.join(f'{i}.jpg\n' for i in ids))

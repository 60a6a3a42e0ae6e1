import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root():
    return REPO


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


# --cfg-options for runs on the tiny synthetic benchmark: 6 training images
# per class, batch 8 (a divisor of the MoCo queue), no worker processes.
TINY = [
    'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
    'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0'
]


# A ResNet-18 at 1/8 width, output stride 8: small enough for CPU unit tests.
TINY_RESNET = dict(
    type='ResNet',
    depth=18,
    base_channels=8,
    stem_channels=8,
    strides=(1, 2, 2, 1))


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

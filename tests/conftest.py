import os
import os.path as osp
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

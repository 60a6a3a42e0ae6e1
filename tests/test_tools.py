"""End-to-end runs of the real tools on the tiny synthetic benchmark, the way
a user runs them: pre-training with online evaluation, testing, the linear
probe, resuming a killed run, two-process training, and the error paths."""
import os.path as osp
import re
import shutil

import pytest
import torch

import mmfgssl  # noqa: F401
from conftest import TINY, assert_ok, free_port, killed_run_config
from mmfgssl.compat import safe_torch_load


@pytest.fixture(scope='module')
def pretrained(tiny_synthetic, tool, repo_root):
    """Two epochs of MoCo v2 with online evaluation after each epoch."""
    work_dir = tiny_synthetic / 'work_dirs' / 'mocov2'
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/mocov2_synthetic.py',
            '--work-dir',
            str(work_dir), '--cfg-options', *TINY, 'train_cfg.max_epochs=2',
            'train_cfg.val_interval=1'
        ],
             cwd=tiny_synthetic))
    return work_dir, out


def test_pretraining_logs_online_retrieval_and_knn(pretrained):
    work_dir, out = pretrained
    val_lines = [
        line for line in out.splitlines()
        if 'Epoch(val)' in line and 'retrieval/mAP' in line
    ]
    assert len(val_lines) == 2
    assert 'knn/top1' in val_lines[-1]
    # model selection on the validation split keeps the best checkpoint
    assert list(work_dir.glob('best_retrieval_mAP_epoch_*.pth'))


def test_test_tool_reports_retrieval_table(pretrained, tiny_synthetic, tool,
                                           repo_root):
    work_dir, _ = pretrained
    out_json = tiny_synthetic / 'metrics.json'
    out = assert_ok(
        tool([
            'test.py', f'{repo_root}/configs/mocov2_synthetic.py',
            str(work_dir / 'epoch_2.pth'), '--work-dir',
            str(work_dir), '--out',
            str(out_json), '--cfg-options', *TINY[1:]
        ],
             cwd=tiny_synthetic))
    table = out[out.index('| metric'):]
    for key in ('retrieval/Rank-1', 'retrieval/Rank-5', 'retrieval/mAP',
                'knn/top1'):
        assert re.search(rf'\| {re.escape(key)}\s+\|\s+[\d.]+ \|', table)
    assert out_json.exists()


def test_linear_probe_on_the_checkpoint(pretrained, tiny_synthetic, tool,
                                        repo_root):
    work_dir, _ = pretrained
    linear_dir = tiny_synthetic / 'work_dirs' / 'linear'
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/linear_probe/synthetic.py',
            '--work-dir',
            str(linear_dir), '--cfg-options',
            f'model.backbone.checkpoint={work_dir}/epoch_2.pth',
            'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
            'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
            'val_dataloader.num_workers=0'
        ],
             cwd=tiny_synthetic))
    assert re.search(r'Epoch\(val\) \[2\].*accuracy/top1: [\d.]+', out)
    # the backbone stayed frozen: its weights equal the pre-trained ones
    ssl = safe_torch_load(str(work_dir / 'epoch_2.pth'))['state_dict']
    lin = safe_torch_load(str(linear_dir / 'epoch_2.pth'))['state_dict']
    key = 'backbone.layer4.1.conv2.weight'
    assert torch.equal(ssl[key], lin['backbone.algorithm.' + key])


def test_resume_after_kill_reaches_the_uninterrupted_weights(
        tiny_synthetic, tool, repo_root):
    common = [
        *TINY, 'train_cfg.max_epochs=3', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=1'
    ]
    base = f'{repo_root}/configs/mocov2_synthetic.py'
    full, killed = (
        tiny_synthetic / 'work_dirs' / n for n in ('full', 'killed'))
    assert_ok(
        tool([
            'train.py', base, '--work-dir',
            str(full), '--cfg-options', *common
        ],
             cwd=tiny_synthetic))

    kill_cfg, env = killed_run_config(
        tiny_synthetic, base, [dict(type='IterationSeedHook')], epoch=2)
    crashed = tool([
        'train.py', kill_cfg, '--work-dir',
        str(killed), '--cfg-options', *common
    ],
                   cwd=tiny_synthetic,
                   env=env)
    assert crashed.returncode == 137
    assert not (killed / 'epoch_3.pth').exists()

    out = assert_ok(
        tool([
            'train.py', base, '--work-dir',
            str(killed), '--resume', '--cfg-options', *common
        ],
             cwd=tiny_synthetic))
    assert 'resumed epoch: 2' in out
    a = safe_torch_load(str(full / 'epoch_3.pth'))
    b = safe_torch_load(str(killed / 'epoch_3.pth'))
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key in a['state_dict']:
        assert torch.equal(a['state_dict'][key], b['state_dict'][key]), key
    assert a['optimizer']['param_groups'][0]['lr'] == b['optimizer'][
        'param_groups'][0]['lr']


@pytest.mark.parametrize('method', ['mocov2', 'rationale'])
def test_dist_train_two_processes_on_cpu(method, tiny_synthetic, tool,
                                         repo_root):
    """Two CPU processes (gloo): the MoCo queue is shared across processes,
    LCR's GradCAM is per process; --auto-scale-lr scales by the global
    batch."""
    config = f'{repo_root}/configs/{method}_synthetic.py'
    work_dir = tiny_synthetic / 'work_dirs' / f'dist_{method}'
    out = assert_ok(
        tool([
            'dist_train.sh', config, '2', '--work-dir',
            str(work_dir), '--auto-scale-lr', '--cfg-options',
            'train_dataloader.batch_size=4', *TINY[1:],
            'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'
        ],
             cwd=tiny_synthetic,
             env={'PORT': free_port()}))
    assert 'Distributed training: True' in out
    # 24 images / (2 processes x 4) = 3 iterations per epoch
    assert re.search(r'Epoch\(train\) \[1\]\[3/3\]', out)
    # lr 0.03 at batch 128 scaled to the global batch 8
    assert re.search(r'lr: 1\.8750e-03', out)
    assert 'retrieval/mAP' in out
    if method == 'rationale':
        assert 'loss_rationale' in out
        return
    out = assert_ok(
        tool([
            'dist_test.sh', config,
            str(work_dir / 'epoch_1.pth'), '2', '--work-dir',
            str(work_dir), '--cfg-options', *TINY[1:]
        ],
             cwd=tiny_synthetic,
             env={'PORT': free_port()}))
    assert 'retrieval/Rank-1' in out


def test_missing_dataset_root_explains_what_to_do(tmp_path, tool, repo_root):
    proc = tool(['train.py', f'{repo_root}/configs/mocov2_cub.py'],
                cwd=tmp_path)
    assert proc.returncode != 0
    assert "data_root = 'data/CUB_200_2011/'" in proc.stdout
    assert 'tools/make_synthetic.py' in proc.stdout


# DetCon reads the images itself first, to write their part maps.
@pytest.mark.parametrize('method', ['mocov2', 'detcon'])
def test_corrupt_image_error_names_the_file(method, tiny_synthetic, tmp_path,
                                            tool, repo_root):
    shutil.copytree(tiny_synthetic / 'data', tmp_path / 'data')
    root = tmp_path / 'data' / 'synthetic_birds'
    first = open(root / 'images.txt').readline().split()[1]
    (root / 'images' / first).write_bytes(b'not a jpeg')
    proc = tool([
        'train.py', f'{repo_root}/configs/{method}_synthetic.py',
        '--cfg-options', *TINY, 'train_cfg.max_epochs=1'
    ],
                cwd=tmp_path)
    assert proc.returncode != 0
    assert osp.join('images', first) in proc.stdout


def test_amp_without_gpu_is_refused_clearly(tiny_synthetic, tool, repo_root):
    if torch.cuda.is_available():
        pytest.skip('a GPU is present')
    proc = tool(
        ['train.py', f'{repo_root}/configs/mocov2_synthetic.py', '--amp'],
        cwd=tiny_synthetic)
    assert proc.returncode != 0
    assert '--amp needs a GPU' in proc.stdout

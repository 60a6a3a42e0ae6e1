"""End-to-end runs of the real tools on the tiny synthetic benchmark, the way
a user runs them: pre-training with online evaluation, testing, the linear
probe, resuming a killed run, two-process training, and the error paths."""
import os.path as osp
import re
import shutil
import weakref

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmfgssl  # noqa: F401
from conftest import (TINY, assert_ok, assert_same_weights, free_port,
                      load_tool, train, train_killed_after,
                      train_linear_probe, train_resumed, train_two_processes)
from mmfgssl.compat import safe_torch_load
from mmfgssl.utils import run_runner


@pytest.fixture(scope='module')
def pretrained(tiny_synthetic, tool, repo_root):
    """Two epochs of MoCo v2 with online evaluation and a checkpoint after
    each epoch."""
    work_dir = tiny_synthetic / 'work_dirs' / 'mocov2'
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/mocov2_synthetic.py',
            '--work-dir',
            str(work_dir), '--cfg-options', *TINY, 'train_cfg.max_epochs=2',
            'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1'
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


def test_linear_probe_on_the_checkpoint(pretrained, tiny_synthetic, tool):
    work_dir, _ = pretrained
    # the backbone stayed frozen: its weights equal the pre-trained ones
    train_linear_probe(
        tool,
        tiny_synthetic,
        'synthetic',
        work_dir / 'epoch_2.pth',
        tiny_synthetic / 'work_dirs' / 'linear',
        ['backbone.layer4.1.conv2.weight'],
        epochs=2)


def test_resume_after_kill_reaches_the_uninterrupted_weights(
        tiny_synthetic, tool, repo_root):
    common = [
        *TINY, 'train_cfg.max_epochs=3', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=1'
    ]
    base = f'{repo_root}/configs/mocov2_synthetic.py'
    full, killed = (
        tiny_synthetic / 'work_dirs' / n for n in ('full', 'killed'))
    train(tool, tiny_synthetic, base, full, common)

    train_killed_after(tool, tiny_synthetic, base, killed, common, epoch=2)
    assert not (killed / 'epoch_3.pth').exists()

    train_resumed(tool, tiny_synthetic, base, killed, common, epoch=2)
    assert_same_weights(full / 'epoch_3.pth', killed / 'epoch_3.pth')
    lr = [
        safe_torch_load(str(
            run / 'epoch_3.pth'))['optimizer']['param_groups'][0]['lr']
        for run in (full, killed)
    ]
    assert lr[0] == lr[1]


def test_run_runner_frees_the_model_before_returning(tmp_path, repo_root):
    """The tools' runner is gone once its work is: a DDP wrapper alive at
    interpreter exit makes torch's gloo group abort the finished process."""
    cfg = Config.fromfile(f'{repo_root}/configs/mocov2_synthetic.py')
    cfg.work_dir = str(tmp_path)
    init_default_scope(cfg.default_scope)
    model, work_dir = run_runner(
        cfg, lambda runner: (weakref.ref(runner.model), runner.work_dir))
    assert work_dir == str(tmp_path)
    assert model() is None


@pytest.mark.parametrize('method', ['mocov2', 'rationale'])
def test_dist_train_two_processes_on_cpu(method, tiny_synthetic, tool,
                                         repo_root):
    """Two CPU processes (gloo): the MoCo queue is shared across processes,
    LCR's GradCAM is per process; --auto-scale-lr scales by the global
    batch."""
    config = f'{repo_root}/configs/{method}_synthetic.py'
    work_dir = tiny_synthetic / 'work_dirs' / f'dist_{method}'
    out = train_two_processes(
        tool, tiny_synthetic, config, work_dir,
        ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1'],
        '--auto-scale-lr')
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


@pytest.mark.parametrize('config,name', [('mocov2_synthetic', 'resnet18_cpu'),
                                         ('lodisc_synthetic', 'vit_cpu')])
def test_missing_generic_initialisation_names_the_command(
        config, name, tiny_synthetic, tool, repo_root, tmp_path):
    """The synthetic configs start from the generic initialisation; without
    it a run stops before training and says how to make it (or to train
    from random weights)."""
    proc = tool([
        'train.py', f'{repo_root}/configs/{config}.py', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *TINY
    ],
                cwd=tiny_synthetic,
                env={'MMFGSSL_CACHE': str(tmp_path / 'empty_cache')})
    assert proc.returncode != 0
    assert f'python tools/make_generic_init.py {name}' in proc.stdout
    assert 'model.backbone.init_cfg=None' in proc.stdout
    assert 'Epoch(train)' not in proc.stdout


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


def test_amp_on_cpu_trains_in_bfloat16_or_is_refused_clearly(
        tiny_synthetic, tool, repo_root, tmp_path):
    if torch.cuda.is_available():
        pytest.skip('a GPU is present')
    from mmfgssl.engine.precision import bfloat16_is_fast
    work = tmp_path / 'amp'
    proc = tool([
        'train.py', f'{repo_root}/configs/mocov2_synthetic.py', '--amp',
        '--work-dir',
        str(work), '--cfg-options', *TINY, 'train_cfg.max_epochs=1'
    ],
                cwd=tiny_synthetic)
    if not bfloat16_is_fast('cpu'):
        assert proc.returncode != 0
        assert 'CPU with bfloat16 instructions' in proc.stdout
        return
    assert_ok(proc)
    stored = Config.fromfile(work / 'mocov2_synthetic.py')
    assert stored.optim_wrapper.type == 'mmpretrain.BFloat16OptimWrapper'
    losses = [float(v) for v in re.findall(r' loss: ([\d.]+)', proc.stdout)]
    assert losses and all(0 < v < 10 for v in losses)
    assert osp.isfile(work / 'epoch_1.pth')


# --------------------------------------------------------- security (tools)
def test_resume_never_executes_config_text_from_a_checkpoint(
        pretrained, tiny_synthetic, tool, repo_root, tmp_path):
    """mmengine's Runner.resume parses meta.config as Python; the safe loader
    drops it, and the run resumes from the weights."""
    work_dir, _ = pretrained
    marker = tmp_path / 'pwned.txt'
    ckpt = safe_torch_load(str(work_dir / 'epoch_1.pth'))
    ckpt['meta']['config'] = f"__import__('os').system('touch {marker}')"
    crafted = tmp_path / 'y.pth'
    torch.save(ckpt, crafted)
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/mocov2_synthetic.py',
            '--work-dir',
            str(tmp_path / 'resumed'), '--resume',
            str(crafted), '--cfg-options', *TINY, 'train_cfg.max_epochs=2',
            'train_cfg.val_interval=10'
        ],
             cwd=tiny_synthetic))
    assert 'resumed epoch: 1' in out
    assert not marker.exists()


def test_linear_probe_refuses_a_checkpoint_of_config_text(
        tiny_synthetic, tool, repo_root, tmp_path):
    """The issue's payload through the real tool: no pickled object, only
    text that mmengine would execute."""
    marker = tmp_path / 'pwned.txt'
    path = tmp_path / 'x.pth'
    torch.save(
        {
            'meta': {
                'cfg': f"__import__('os').system('touch {marker}')"
            },
            'state_dict': {}
        }, path)
    proc = tool([
        'train.py', f'{repo_root}/configs/linear_probe/synthetic.py',
        '--cfg-options', f'model.backbone.checkpoint={path}'
    ],
                cwd=tiny_synthetic)
    assert proc.returncode != 0
    assert 'meta.model_config' in proc.stdout
    assert not marker.exists()


def test_test_tool_refuses_weights_that_do_not_fit(tiny_synthetic, tool,
                                                   repo_root, tmp_path):
    foo = tmp_path / 'foo.pth'
    torch.save({'state_dict': {'foo': torch.ones(2)}}, foo)
    proc = tool([
        'test.py', f'{repo_root}/configs/mocov2_synthetic.py',
        str(foo), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *TINY[1:]
    ],
                cwd=tiny_synthetic)
    assert proc.returncode != 0
    assert f'{foo} does not fit MoCoV2' in proc.stdout
    assert 'unexpected keys 1 (foo)' in proc.stdout
    assert 'retrieval/Rank-1' not in proc.stdout


def test_make_generic_init_makes_the_vit_teacher_first(monkeypatch, tmp_path):
    """The generic ViT learns from the generic ResNet's features, so making
    it makes (or reuses) that one first; the ResNet needs nothing else."""
    tool = load_tool('make_generic_init')
    made = []
    monkeypatch.setenv('MMFGSSL_CACHE', str(tmp_path))
    monkeypatch.setattr(tool, 'make_unlocked',
                        lambda name, force, root: made.append((name, force)))
    tool.make('vit_cpu', force=True)
    assert made == [('resnet18_cpu', False), ('vit_cpu', True)]
    made.clear()
    tool.make('resnet18_cpu', force=False)
    assert made == [('resnet18_cpu', False)]

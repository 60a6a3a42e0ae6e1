"""Every config in configs/ loads and builds, and the real-data configs train
and evaluate on fixture folders in their dataset's real layout."""
import copy
import glob
import os
import os.path as osp
import stat

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import BaseAveragedModel
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS

import mmfgssl  # noqa: F401
from conftest import (REPO, free_port, innermost_dataset, write_oid,
                      write_real_layout)

# Linear-probe configs build their backbone from a pre-training checkpoint:
# they are run on real ones in test_real_data_configs_run_on_their_layout
# and test_tools.py.
MODEL_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p and 'linear_probe' not in p)


@pytest.mark.parametrize('config', MODEL_CONFIGS)
def test_config_loads_and_its_model_builds(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    registry = {'mmpretrain': MODELS, 'mmseg': SEG_MODELS}[cfg.default_scope]
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        registry.build(cfg.model)


SYNTHETIC_CONFIGS = [c for c in MODEL_CONFIGS if c.endswith('synthetic.py')]


def share_of_initialisation(ema: BaseAveragedModel, steps: int) -> float:
    """What an EMA target still holds of the weights it started from after
    ``steps`` training steps (one ``update_parameters`` call each, as the
    methods make them; the first copies the online weights) when the online
    weights move entirely away from them: initial weights 1, then 0."""
    online = copy.deepcopy(ema.module)
    for param in online.parameters():
        param.data.fill_(1.)
    ema.update_parameters(online)
    for param in online.parameters():
        param.data.zero_()
    for _ in range(steps - 1):
        ema.update_parameters(online)
    return max(p.max().item() for p in ema.module.parameters())


@pytest.mark.parametrize('config', SYNTHETIC_CONFIGS)
def test_synthetic_ema_targets_leave_their_initialisation_within_the_budget(
        config):
    """The issue's trap: a momentum set for ImageNet-scale schedules keeps
    an EMA target (MoCo's key encoder, BYOL's/DetCon's target, DINO's
    teacher) near its initialisation for the whole 400-step budget (DINO's
    0.996 annealed to 1 keeps 45 %). Every synthetic config's target, run
    through its own EMA class and schedule, keeps less than 5 %."""
    cfg = Config.fromfile(osp.join(REPO, config))
    if cfg.train_cfg.get('max_epochs') == 0:
        pytest.skip(f'{config} does not train')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    targets = [
        m for m in model.modules() if isinstance(m, BaseAveragedModel)
    ]
    if not targets:
        pytest.skip(f'{config} has no EMA target')
    assert cfg.train_cfg.max_epochs == cfg.budget_epochs
    MessageHub.get_instance('test_ema_budget').update_info(
        'max_iters', cfg.budget_steps)  # the cosine schedules read it
    with torch.no_grad():
        shares = [
            share_of_initialisation(t, cfg.budget_steps) for t in targets
        ]
    assert max(shares) < 0.05, (config, shares)


@pytest.mark.parametrize('config', SYNTHETIC_CONFIGS)
def test_part_segmentation_of_the_protocol_loads_the_checkpoint_strictly(
        config):
    """The part-segmentation config run_protocol.py evaluates a synthetic
    checkpoint with takes the weights under its prefix (the ViT of MoCo v3
    is `backbone.`, DINO's teacher `teacher.module.backbone.`), and they
    are exactly its backbone's."""
    cfg = Config.fromfile(osp.join(REPO, config))
    partseg = cfg.get('protocol', {}).get('partseg')
    if partseg is None:
        pytest.skip(f'{config} has no part-segmentation protocol')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        keys = set(MODELS.build(cfg.model).state_dict())
    seg = Config.fromfile(osp.join(REPO, partseg))
    prefix = seg.model.backbone.init_cfg.prefix
    seg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        wanted = set(SEG_MODELS.build(seg.model).backbone.state_dict())
    found = {k[len(prefix):] for k in keys if k.startswith(prefix)}
    assert found == wanted, (partseg, prefix, sorted(found ^ wanted)[:5])


# No weights can be downloaded here: start from random weights.
NO_DOWNLOAD = ['model.backbone.init_cfg=None']
TINY_RUN = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
    # the probe reads the weights only; a ViT-B's AdamW state is 0.7 GB
    'default_hooks.checkpoint.save_optimizer=False'
]

ROOTS = {
    'cub': 'data/CUB_200_2011',
    'cars': 'data/Stanford_Cars',
    'aircraft': 'data/fgvc-aircraft-2013b'
}
OID_ROOT = 'data/oid-aircraft-beta-1'


@pytest.mark.parametrize('dataset', sorted(ROOTS))
def test_real_data_configs_read_their_layout(dataset, tmp_path, monkeypatch):
    """Every pre-training and probe config of a dataset builds its training,
    validation and test sets from a fixture folder in the dataset's real
    layout, and its pipelines give 224 px views."""
    from mmpretrain.registry import DATASETS
    classes, train, test = 4, 1, 1
    write_real_layout(dataset, tmp_path / ROOTS[dataset], classes, train,
                      test)
    if dataset == 'aircraft':  # the part methods train on OID-Aircraft
        write_oid(tmp_path / OID_ROOT)
    monkeypatch.chdir(tmp_path)
    configs = sorted(
        glob.glob(osp.join(REPO, 'configs', f'*_{dataset}.py')) +
        glob.glob(osp.join(REPO, 'configs', 'linear_probe', f'*{dataset}*')))
    assert len(configs) >= 13, configs  # 9 methods, 4 probes
    for config in configs:
        cfg = Config.fromfile(config)
        for split in ('train', 'val', 'test'):
            loader = cfg.get(f'{split}_dataloader')
            if loader is None:  # PARTICLE's sklearn probe has no validation
                continue
            where = f'{osp.relpath(config, REPO)} {split}'
            images = innermost_dataset(loader.dataset)
            wanted = None
            if split == 'train':  # write_oid writes 3 OID-Aircraft images
                oid = images.type == 'OIDAircraftImages'
                wanted = 3 if oid else classes * train
            with DefaultScope.overwrite_default_scope('mmpretrain'):
                if loader.dataset.type == 'PartMapDataset':
                    # its part maps are written by PartMapHook at the start
                    # of training (the end-to-end runs below)
                    assert len(DATASETS.build(images)) == wanted, where
                    continue
                built = DATASETS.build(loader.dataset)
            if wanted is not None:
                assert len(built) == wanted, where
            inputs = built[0]['inputs']
            views = inputs if isinstance(inputs, list) else [inputs]
            assert tuple(views[0].shape) == (3, 224, 224), where


@pytest.mark.parametrize('method', [
    'mocov2', 'rationale', 'particle', 'lodisc', 'synthpairs', 'dino',
    'particle_vit'
])
def test_real_data_configs_run_on_their_layout(method, tmp_path, tool):
    """One epoch of the paper-setting config (ResNet-50 or ViT-B/16, 224 px)
    on a fixture folder in CUB-200-2011's layout, then (MoCo v2, LoDisc)
    its linear probe; the other datasets' configs differ in their data only
    (test_real_data_configs_read_their_layout)."""
    # two classes: the smallest layout a retrieval and kNN can score
    write_real_layout('cub', tmp_path / ROOTS['cub'], classes=2)
    work = tmp_path / 'work'
    out = tool([
        'train.py', f'{REPO}/configs/{method}_cub.py', '--work-dir',
        str(work / 'ssl'), '--cfg-options', *NO_DOWNLOAD, *TINY_RUN
    ],
               cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-5000:]
    # 2 classes x 2 training images, batch 2 -> 2 iterations at 224 px
    assert 'Epoch(train) [1][2/2]' in out.stdout
    assert 'retrieval/mAP' in out.stdout
    if method.startswith('particle'):
        assert 'part maps of 4 images written' in out.stdout
    if method == 'lodisc':
        assert 'loss_local' in out.stdout
    if method == 'synthpairs':
        assert 'loss_recon' in out.stdout and 'loss_pair' in out.stdout
    if method not in ('mocov2', 'lodisc'):
        return
    probe = 'cub' + ('_vit' if method == 'lodisc' else '')
    out = tool([
        'train.py', f'{REPO}/configs/linear_probe/{probe}.py', '--work-dir',
        str(work / 'linear'), '--cfg-options',
        f'model.backbone.checkpoint={work}/ssl/epoch_1.pth', *TINY_RUN
    ],
               cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-5000:]
    assert 'accuracy/top1' in out.stdout


FAKE_SRUN = '''#!/usr/bin/env bash
# Stand-in for slurm's srun: records its options, runs one task.
echo "srun $*" > "$SRUN_LOG"
while [[ "$1" == -* ]]; do
    case "$1" in -p) shift 2 ;; *) shift ;; esac
done
export SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODELIST=node1
exec "$@"
'''
FAKE_SCONTROL = '#!/usr/bin/env bash\necho 127.0.0.1\n'


def test_slurm_launchers_run_through_mmengine_slurm_init(
        tiny_synthetic, tmp_path, tool):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    env = {
        'PATH': f'{bin_dir}:{os.environ["PATH"]}',
        'GPUS': '1',
        'GPUS_PER_NODE': '1',
        'MASTER_PORT': free_port(),
        'SRUN_LOG': str(tmp_path / 'srun.log')
    }
    work = tmp_path / 'work'
    out = tool([
        'slurm_train.sh', 'gpu_partition', 'fgssl',
        f'{REPO}/configs/mocov2_synthetic.py',
        str(work), '--cfg-options', 'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'
    ],
               cwd=tiny_synthetic,
               env=env)
    assert out.returncode == 0, out.stdout[-5000:]
    srun = (tmp_path / 'srun.log').read_text()
    assert '-p gpu_partition --job-name=fgssl --gres=gpu:1 --ntasks=1' in srun
    assert '--launcher=slurm' in srun and f'--work-dir={work}' in srun
    assert 'Distributed launcher: slurm' in out.stdout
    assert (work / 'epoch_1.pth').exists()
    env['MASTER_PORT'] = free_port()
    out = tool([
        'slurm_test.sh', 'gpu_partition', 'fgssl',
        f'{REPO}/configs/mocov2_synthetic.py',
        str(work / 'epoch_1.pth'), '--cfg-options',
        'test_dataloader.num_workers=0'
    ],
               cwd=tiny_synthetic,
               env=env)
    assert out.returncode == 0, out.stdout[-5000:]
    assert 'retrieval/Rank-1' in out.stdout

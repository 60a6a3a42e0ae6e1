"""Issue 9's faithfulness items: DetCon/PARTICLE's warm-up EMA, OID-Aircraft
pre-training images, the no-pre-training baselines, PARTICLE's
logistic-regression probe, per-epoch worker seeds and training without the
validation images; each against an independent computation or through the
real tools."""
import copy
import functools
import glob
import json
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import ExponentialMovingAverage
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.models.utils import CosineEMA
from mmpretrain.registry import DATASETS, MODELS
from sklearn.linear_model import LogisticRegression

import mmfgssl  # noqa: F401
from conftest import (REPO, TINY, assert_ok, assert_same_weights,
                      generic_backbone_config, innermost_dataset, train,
                      train_killed_after, train_resumed)
from mmfgssl import generic_init
from mmfgssl.compat import safe_torch_load
from mmfgssl.datasets import (CentreCropFraction, exclude_validation_images,
                              make_synthetic_birds)
from mmfgssl.engine import FGRunner, IterationSeedHook
from mmfgssl.models.utils import WarmupEMA
from test_parts import SMALL_PARTICLE
from test_partseg import write_oid

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
PRETRAINING_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '*.py')))
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


@functools.lru_cache(maxsize=None)
def _all_configs():
    """Every config under configs/, loaded once for the tests that scan
    them."""
    return [(path, Config.fromfile(path)) for path in CONFIGS]


def _name(path):
    return osp.splitext(osp.basename(path))[0]


# ------------------------------------------------ DetCon/PARTICLE target EMA
def test_warmup_ema_decays_as_torch_ema_with_num_updates():
    """The PARTICLE code's torch_ema(use_num_updates=True), written out: the
    shadow starts at the initial weights, and the n-th update after an
    optimiser step keeps min(tau, (1 + n) / (10 + n)) of it."""
    tau = 0.5  # reached at n = 8: both the warm-up and the cap are covered
    torch.manual_seed(0)
    online = torch.nn.Linear(3, 2)
    ema = WarmupEMA(online, momentum=1 - tau)
    shadow = [p.detach().clone() for p in online.parameters()]
    ema.update_parameters(online)  # first iteration, before any step
    for n in range(1, 13):
        with torch.no_grad():
            for p in online.parameters():  # an optimiser step
                p.add_(torch.randn_like(p))
        ema.update_parameters(online)
        decay = min(tau, (1 + n) / (10 + n))
        shadow = [
            decay * s + (1 - decay) * p.detach()
            for s, p in zip(shadow, online.parameters())
        ]
        for want, got in zip(shadow, ema.module.parameters()):
            assert torch.allclose(got, want, atol=1e-6), n


def _part_model(method, **kwargs):
    cfg = copy.deepcopy(SMALL_PARTICLE)
    if method == 'DetCon':
        for key in ('num_parts', 'discovery_size', 'discovery_grid'):
            cfg.pop(key)
    return MODELS.build(dict(cfg, type=method, **kwargs))


@pytest.mark.parametrize('method', ['DetCon', 'PARTICLE'])
def test_target_schedule_defaults_to_the_warmup_and_switches(method):
    assert type(_part_model(method).target) is WarmupEMA
    for schedule, ema_type in (('warmup', WarmupEMA),
                               ('constant', ExponentialMovingAverage),
                               ('cosine', CosineEMA)):
        model = _part_model(method, target_schedule=schedule)
        assert type(model.target) is ema_type
    with pytest.raises(ValueError, match="target_schedule='linear'"):
        _part_model(method, target_schedule='linear')


def test_part_method_configs_use_the_warmup_at_tau_0996():
    part_configs = []
    for path, cfg in _all_configs():
        model = cfg.get('model', {})
        if model.get('type') in ('DetCon', 'PARTICLE'):
            part_configs.append(_name(path))
            assert model.get('target_schedule', 'warmup') == 'warmup', path
            assert model.momentum == 0.004, path
    assert {'detcon_cub', 'particle_cub',
            'particle_synthetic'} <= set(part_configs)


# -------------------------------------------------- OID-Aircraft pre-training
@pytest.mark.parametrize('method', ['detcon', 'particle'])
def test_aircraft_part_methods_pretrain_on_the_oid_training_list(
        method, tmp_path, monkeypatch):
    root = tmp_path / 'data' / 'oid-aircraft-beta-1'
    write_oid(root, ids=('0001', '0002', '0003', '0004'))
    # the list names two of the four images (the others stand for OID's
    # validation images), in its own order
    (root / 'train_oid.txt').write_text('0003.jpg\n0001.jpg\n')
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(f'{REPO}/configs/{method}_aircraft.py')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    images = root / 'data' / 'images' / 'aeroplane'
    assert [osp.abspath(p) for p in dataset.image_paths()
            ] == [str(images / '0003.jpg'),
                  str(images / '0001.jpg')]
    # discovery sees the image training crops from: 40 x 30, banner cut
    assert dataset.read_image(0).shape == (40 - 21, 30, 3)
    # validation and test stay on FGVC-Aircraft
    assert cfg.val_dataloader.dataset.query.dataset.type == 'FGVCAircraft'
    assert cfg.test_dataloader.dataset.query.type == 'FGVCAircraft'


# PARTICLE (ResNet and ViT) and the baselines it starts from
PARTICLE_FAMILY = ('DetCon', 'PARTICLE', 'DINO', 'PARTICLEViT')


def test_part_methods_on_fgvc_aircraft_images_say_so_in_their_name():
    """The PARTICLE code pre-trains on OID-Aircraft: an aircraft config of
    its methods trains on OID-Aircraft unless its name says FGVC."""
    checked = []
    for path, cfg in _all_configs():
        if 'aircraft' not in _name(path) or cfg.get(
                'model', {}).get('type') not in PARTICLE_FAMILY:
            continue
        images = innermost_dataset(cfg.train_dataloader.dataset)['type']
        if 'fgvc' in _name(path):
            assert images == 'FGVCAircraft', path
        else:
            assert images == 'OIDAircraftImages', path
        checked.append(_name(path))
    assert {'detcon_aircraft', 'particle_aircraft'} <= set(checked)


# ------------------------------------------------ no-pre-training baselines
@pytest.fixture(scope='module')
def baselines(tiny_synthetic, tool):
    """0-epoch runs of the generic- and random-initialisation baselines.

    Seed 1: conftest's stand-in generic weights are those of a seed-0 random
    initialisation, so at seed 0 a generic initialisation that was never
    loaded would look loaded."""
    work_dirs = {}
    for name in ('generic_init', 'random_init'):
        work = tiny_synthetic / 'work_dirs' / f'baseline_{name}'
        assert_ok(
            tool([
                'train.py', f'{REPO}/configs/baselines/{name}_synthetic.py',
                '--work-dir',
                str(work), '--cfg-options', *TINY, 'randomness.seed=1'
            ],
                 cwd=tiny_synthetic))
        work_dirs[name] = work
    return work_dirs


def _backbone_state(checkpoint):
    return {
        k[len('backbone.'):]: v
        for k, v in checkpoint['state_dict'].items()
        if k.startswith('backbone.')
    }


def test_baselines_save_their_initialisation_as_epoch_0(baselines):
    generic = _backbone_state(
        safe_torch_load(generic_init.checkpoint_path('resnet18_cpu')))
    for name, work in baselines.items():
        assert (work / 'last_checkpoint').read_text() == str(work /
                                                             'epoch_0.pth')
        saved = _backbone_state(safe_torch_load(str(work / 'epoch_0.pth')))
        assert saved.keys() == generic.keys()
        equal = all(torch.equal(saved[k], generic[k]) for k in generic)
        assert equal == (name == 'generic_init'), name


def _cub_split(root, split):
    """Image paths and 0-based labels of a CUB-layout split, read from its
    text files."""

    def table(name):
        with open(root / f'{name}.txt') as f:
            return dict(line.split() for line in f if line.strip())

    images, labels = table('images'), table('image_class_labels')
    in_train = table('train_test_split')
    ids = [
        i for i in images if in_train[i] == ('1' if split == 'train' else '0')
    ]
    return ([str(root / 'images' / images[i])
             for i in ids], np.array([int(labels[i]) - 1 for i in ids]))


@torch.no_grad()
def _pooled_features(backbone_state, paths):
    """The synthetic ResNet's average-pooled last map of whole images,
    normalised as the configs' data preprocessors do (RGB, ImageNet
    mean/std); not L2-normalised."""
    backbone = MODELS.build(generic_backbone_config('resnet18_cpu'))
    backbone.load_state_dict(backbone_state)
    backbone.eval()
    rgb = np.stack([cv2.imread(p)[..., ::-1] for p in paths])
    x = (torch.from_numpy(rgb.copy()).permute(0, 3, 1, 2).float() - MEAN) / STD
    return backbone(x)[-1].mean(dim=(2, 3)).numpy()


def test_test_tool_evaluates_the_baselines_initialisation(
        baselines, tiny_synthetic, tool, tmp_path):
    """Leave-one-out Rank-1 and mAP of the generic initialisation's pooled
    features on the test split, by hand, equal tools/test.py's."""
    work = baselines['generic_init']
    out = tmp_path / 'metrics.json'
    assert_ok(
        tool([
            'test.py', f'{REPO}/configs/baselines/generic_init_synthetic.py',
            str(work / 'epoch_0.pth'), '--work-dir',
            str(tmp_path), '--out',
            str(out), '--cfg-options', *TINY[1:], 'randomness.seed=1'
        ],
             cwd=tiny_synthetic))
    metrics = json.loads(out.read_text())
    paths, labels = _cub_split(tiny_synthetic / 'data' / 'synthetic_birds',
                               'test')
    feats = _pooled_features(
        _backbone_state(safe_torch_load(str(work / 'epoch_0.pth'))), paths)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    rank1, aps = [], []
    for q in range(len(paths)):
        others = [i for i in range(len(paths)) if i != q]
        ranked = sorted(others, key=lambda i: -feats[q] @ feats[i])
        relevant = [labels[i] == labels[q] for i in ranked]
        rank1.append(relevant[0])
        hits = np.flatnonzero(relevant)
        aps.append(np.mean([(k + 1) / (r + 1) for k, r in enumerate(hits)]))
    assert metrics['retrieval/Rank-1'] == pytest.approx(100 * np.mean(rank1))
    assert metrics['retrieval/mAP'] == pytest.approx(100 * np.mean(aps))


@pytest.mark.parametrize('dataset', ['cub', 'cars', 'aircraft'])
def test_as_is_baselines_are_the_untrained_method_and_named_so(dataset):
    """The PARTICLE paper's DetCon row (DetCon's ImageNet weights, no
    training) and the LCR paper's ImageNet row are the configs they are
    compared with, at 0 epochs, under names that say ImageNet."""
    for baseline, trained in (('detcon_imagenet', 'detcon'), ('imagenet',
                                                              'mocov2')):
        as_is = Config.fromfile(
            f'{REPO}/configs/baselines/{baseline}_{dataset}.py')
        method = Config.fromfile(f'{REPO}/configs/{trained}_{dataset}.py')
        assert as_is.train_cfg.max_epochs == 0 < method.train_cfg.max_epochs
        assert as_is.model == method.model
        assert as_is.test_dataloader == method.test_dataloader
    detcon = Config.fromfile(
        f'{REPO}/configs/baselines/detcon_imagenet_{dataset}.py')
    assert detcon.model.backbone.init_cfg.checkpoint == \
        'checkpoints/resnet50_detcon.pth'


# ----------------------------------------------- PARTICLE's linear probe
@pytest.fixture(scope='module')
def probe_benchmark(tmp_path_factory):
    """A synthetic benchmark with 15 test images per class: on the tiny one
    (2 per class) every probe variant scores the same."""
    workdir = tmp_path_factory.mktemp('probe_benchmark')
    make_synthetic_birds(
        str(workdir / 'data' / 'synthetic_birds'),
        num_classes=4,
        images_per_class=30,
        train_per_class=15,
        image_size=64,
        seed=0)
    return workdir


def test_particle_probe_is_sklearn_on_unnormalised_features(
        baselines, probe_benchmark, tool, tmp_path):
    """tools/logistic_probe.py's accuracy equals sklearn's
    LogisticRegression(max_iter=10000) on pooled features extracted here
    from the whole images, not L2-normalised (normalising them, or C=0.01,
    changes the accuracy on this benchmark)."""
    checkpoint = baselines['generic_init'] / 'epoch_0.pth'
    out = tmp_path / 'probe.json'
    printed = assert_ok(
        tool([
            'logistic_probe.py',
            f'{REPO}/configs/linear_probe/particle_synthetic.py',
            str(checkpoint), '--out',
            str(out), '--cfg-options', 'train_dataloader.num_workers=0',
            'test_dataloader.num_workers=0'
        ],
             cwd=probe_benchmark))
    assert '60 training / 60 test images, 256-d features' in printed
    root = probe_benchmark / 'data' / 'synthetic_birds'
    state = _backbone_state(safe_torch_load(str(checkpoint)))
    (train_paths, train_y), (test_paths, test_y) = (
        _cub_split(root, s) for s in ('train', 'test'))
    classifier = LogisticRegression(max_iter=10000).fit(
        _pooled_features(state, train_paths), train_y)
    want = 100 * classifier.score(_pooled_features(state, test_paths), test_y)
    got = json.loads(out.read_text())['accuracy/top1']
    assert got == pytest.approx(want)
    assert f'| accuracy/top1 | {want:.2f} |' in printed


def test_centre_crop_fraction_is_the_centre_square():
    """PARTICLE's CUB probe crop: the centre square of 0.875 x the shorter
    side (here 8 of 9 columns: rows 3..10 of 14, columns 0..7)."""
    img = np.arange(14 * 9 * 3, dtype=np.uint8).reshape(14, 9, 3)
    out = CentreCropFraction(0.875).transform(dict(img=img))
    assert np.array_equal(out['img'], img[3:11, 0:8])
    assert out['img_shape'] == (8, 8)


# ------------------------------------------------------------ worker seeds
def test_workers_draw_new_augmentations_every_epoch(tiny_synthetic,
                                                    monkeypatch):
    """With a worker process, the views of the same images differ between
    epochs and repeat when an epoch is replayed (a resumed run); mmengine's
    own worker seeding (no epoch term) repeats them every epoch."""
    monkeypatch.chdir(tiny_synthetic)
    cfg = Config.fromfile(f'{REPO}/configs/mocov2_synthetic.py')
    loader_cfg = dict(
        cfg.train_dataloader.to_dict(),
        batch_size=4,
        num_workers=1,
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ours = FGRunner.build_dataloader(copy.deepcopy(loader_cfg), seed=0)
        mmengines = Runner.build_dataloader(copy.deepcopy(loader_cfg), seed=0)

    def first_views(loader, epoch):
        # what the training loop does: the seed hook, then a new iterator
        IterationSeedHook().before_train_epoch(
            SimpleNamespace(seed=0, iter=epoch * len(loader)))
        return next(iter(loader))['inputs'][0]

    epoch_0, epoch_1 = first_views(ours, 0), first_views(ours, 1)
    assert not torch.equal(epoch_0, epoch_1)
    assert torch.equal(first_views(ours, 0), epoch_0)
    assert torch.equal(first_views(mmengines, 0), first_views(mmengines, 1))


def test_resume_with_workers_reaches_the_uninterrupted_weights(
        tiny_synthetic, tool):
    common = [o for o in TINY if 'train_dataloader.num_workers' not in o] + [
        'train_dataloader.num_workers=1', 'train_cfg.max_epochs=2',
        'train_cfg.val_interval=10', 'default_hooks.checkpoint.interval=1'
    ]
    base = f'{REPO}/configs/mocov2_synthetic.py'
    full, killed = (
        tiny_synthetic / 'work_dirs' / n
        for n in ('workers_full', 'workers_killed'))
    train(tool, tiny_synthetic, base, full, common)
    train_killed_after(tool, tiny_synthetic, base, killed, common, epoch=1)
    train_resumed(tool, tiny_synthetic, base, killed, common, epoch=1)
    assert_same_weights(full / 'epoch_2.pth', killed / 'epoch_2.pth')


# ------------------------------------ validation images out of pre-training
def _image_paths(dataset_cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
    if hasattr(dataset, 'image_paths'):  # PartMapDataset
        return set(dataset.image_paths())
    return {dataset.get_data_info(i)['img_path'] for i in range(len(dataset))}


@pytest.mark.parametrize('method', ['mocov2', 'detcon'])
def test_exclude_validation_images_trains_on_the_rest(method, tiny_synthetic,
                                                      monkeypatch):
    monkeypatch.chdir(tiny_synthetic)
    cfg = Config.fromfile(f'{REPO}/configs/{method}_synthetic.py')
    cfg.merge_from_dict(
        {'val_dataloader.dataset.query.holdout_fraction': 0.34})
    validation = _image_paths(cfg.val_dataloader.dataset.query)
    everything = _image_paths(cfg.train_dataloader.dataset)
    assert len(validation) == 8 and validation < everything  # the default
    exclude_validation_images(cfg)
    training = _image_paths(cfg.train_dataloader.dataset)
    assert training == everything - validation


@pytest.mark.parametrize('config', PRETRAINING_CONFIGS, ids=_name)
def test_exclude_validation_images_applies_to_every_pretraining_config(config):
    """Every pre-training config's training set is rewritten to the
    validation split's complement, except where the validation images are
    from another dataset than the training images (aircraft part methods:
    OID-Aircraft training, FGVC-Aircraft validation), which is named."""
    cfg = Config.fromfile(config)
    query = cfg.val_dataloader.dataset.query
    if innermost_dataset(
            cfg.train_dataloader.dataset)['type'] == 'OIDAircraftImages':
        with pytest.raises(ValueError, match='OID-Aircraft'):
            exclude_validation_images(cfg)
        return
    exclude_validation_images(cfg)
    node = cfg.train_dataloader.dataset
    while node.type != 'HoldoutSplit':
        node = node.dataset
    assert node == dict(query, part='rest', dataset=node.dataset)
    assert dict(
        node.dataset, pipeline=None) == dict(
            query.dataset, pipeline=None)


@pytest.mark.parametrize('config', ['supervised', 'supervised_vit'])
def test_supervised_baselines_leave_out_the_validation_images(
        config, tiny_synthetic, monkeypatch):
    """A baseline that learns the labels must not have its checkpoint
    selected on images it was trained to classify; on the remaining images
    it keeps the budget's number of steps."""
    monkeypatch.chdir(tiny_synthetic)
    cfg = Config.fromfile(f'{REPO}/configs/baselines/{config}_synthetic.py')
    assert cfg.exclude_validation_images is True
    validation = _image_paths(cfg.val_dataloader.dataset.query)
    everything = _image_paths(cfg.train_dataloader.dataset)
    exclude_validation_images(cfg)
    assert validation
    assert _image_paths(cfg.train_dataloader.dataset) == (everything -
                                                          validation)
    kept = 1 - cfg.val_dataloader.dataset.query.holdout_fraction
    epochs = cfg.train_cfg.max_epochs
    assert epochs * kept == pytest.approx(cfg.budget_epochs)
    schedule, = cfg.param_scheduler
    assert schedule.T_max == schedule.end == epochs


def test_train_tool_without_validation_images(tiny_synthetic, tool, tmp_path):
    out = assert_ok(
        tool([
            'train.py', f'{REPO}/configs/mocov2_synthetic.py', '--work-dir',
            str(tmp_path), '--cfg-options', *TINY, 'train_cfg.max_epochs=1',
            'train_cfg.val_interval=1', 'exclude_validation_images=True'
        ],
             cwd=tiny_synthetic))
    # 24 training images minus 8 validation images, batch 8: 2 iterations
    assert 'Epoch(train) [1][2/2]' in out and '[1][3/3]' not in out
    assert 'retrieval/mAP' in out

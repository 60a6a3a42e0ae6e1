"""Part discovery and part contrast: clustering, the paired-view transform,
mask pooling, the DetCon-B loss, DetCon/PARTICLE and the part-map hook."""
import copy
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

import mmfgssl  # noqa: F401
from conftest import (LN_MLP, TINY, TINY_RESNET, assert_ok,
                      assert_same_weights, train, train_killed_after,
                      train_resumed, visualize)
from mmfgssl.datasets import PartMapDataset
from mmfgssl.datasets.synthetic import PART_IDS, BirdClass, render_bird
from mmfgssl.models.selfsup.detcon import (detcon_b_loss, downsample_part_map,
                                           sample_part_ids)
from mmfgssl.models.utils import batched_kmeans, resnet_hypercolumns


# ---------------------------------------------------------------- k-means
def _blobs(seed, n_per=40, k=4, dim=5, spread=0.05):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (k, dim))
    points = np.concatenate(
        [c + rng.normal(0, spread, (n_per, dim)) for c in centres])
    return points[rng.permutation(len(points))].astype(np.float32)


def test_batched_kmeans_finds_sklearns_partition_on_separated_blobs():
    sets = [_blobs(s) for s in range(6)]
    result = batched_kmeans(
        torch.from_numpy(np.stack(sets)), 4, num_iters=20, n_init=3, seed=0)
    for points, labels, inertia in zip(sets, result.labels, result.inertia):
        ref = KMeans(4, n_init=10, random_state=0).fit(points)
        # same partition up to relabelling
        assert adjusted_rand_score(ref.labels_, labels.numpy()) == 1.0
        # float32 distance expansion: 1e-3 relative
        assert inertia.item() == pytest.approx(ref.inertia_, rel=1e-3)


def test_coarse_to_fine_kmeans_finds_the_same_partition():
    """Seeding and iterating on a sample in a random projection, then
    refining all points in full dimension, still recovers the blobs."""
    sets = [_blobs(s, n_per=60, dim=8) for s in range(4)]
    result = batched_kmeans(
        torch.from_numpy(np.stack(sets)),
        4,
        num_iters=10,
        n_init=3,
        seed=0,
        sample_size=80,
        project_dim=4,
        refine_iters=2)
    assert result.centers.shape == (4, 4, 8)  # back in the full space
    for points, labels in zip(sets, result.labels):
        ref = KMeans(4, n_init=10, random_state=0).fit(points)
        assert adjusted_rand_score(ref.labels_, labels.numpy()) == 1.0


def test_batched_kmeans_inertia_and_centres_are_consistent():
    points = torch.from_numpy(np.stack([_blobs(7, spread=1.0)]))
    res = batched_kmeans(points, 4, num_iters=15, seed=3)
    d = torch.cdist(points[0], res.centers[0])**2
    assert torch.equal(res.labels[0], d.argmin(1))
    assert res.inertia[0].item() == pytest.approx(
        d.min(1).values.sum().item(), rel=1e-4)
    # reproducible from the seed
    again = batched_kmeans(points, 4, num_iters=15, seed=3)
    assert torch.equal(res.labels, again.labels)


def test_hypercolumns_shape_and_normalisation():
    backbone = MODELS.build(
        dict(type='ResNet', depth=18, base_channels=8, stem_channels=8))
    backbone.eval()
    feats = resnet_hypercolumns(
        backbone,
        torch.randn(2, 3, 64, 64), ('stem', 'layer1', 'layer3'),
        grid=16)
    assert feats.shape == (2, 8 + 8 + 32, 16, 16)
    # each stage block is unit-norm per pixel
    assert torch.allclose(
        feats[:, :8].norm(dim=1), torch.ones(2, 16, 16), atol=1e-5)
    assert torch.allclose(
        feats[:, 16:].norm(dim=1), torch.ones(2, 16, 16), atol=1e-5)


# --------------------------------------------------- paired-view transform
def test_views_keep_image_and_part_map_aligned():
    transform = TRANSFORMS.build(
        dict(
            type='MultiViewWithMasks',
            crop_size=64,
            scale=(0.3, 1.0),
            num_views=6,
            interpolation='bilinear'))
    # 1. A part map rendered as the image itself: every view's mask must
    # reproduce its image (up to interpolation at part borders).
    _, part_map = render_bird(
        BirdClass('long', 'double', 'crested', 'red'), 96,
        np.random.default_rng(5))
    as_image = np.repeat((part_map * 30).astype(np.uint8)[..., None], 3, -1)
    np.random.seed(1)
    out = transform(dict(img=as_image, part_map=part_map))
    assert len(out['img']) == 6 and out['part_masks'].shape == (6, 64, 64)
    for view, mask in zip(out['img'], out['part_masks']):
        assert view.shape == (64, 64, 3)
        agree = np.abs(view[..., 0].astype(int) - mask * 30) < 15
        assert agree.mean() > 0.9
    # 2. A real synthetic bird: pixels labelled eye (red ring, dark pupil)
    # are red or dark in every view where the eye is visible.
    img_rgb, part_map = render_bird(
        BirdClass('long', 'double', 'crested', 'red'), 96,
        np.random.default_rng(5))
    np.random.seed(0)
    out = transform(dict(img=img_rgb[..., ::-1].copy(), part_map=part_map))
    checked = 0
    for view, mask in zip(out['img'], out['part_masks']):
        eye = mask == PART_IDS['eye']
        if eye.sum() < 5:
            continue
        bgr = view.astype(int)
        red = (bgr[..., 2] > bgr[..., 1] + 40) & (
            bgr[..., 2] > bgr[..., 0] + 40)
        dark = bgr.max(-1) < 80
        assert (red | dark)[eye].mean() > 0.7
        checked += 1
    assert checked >= 3


def test_downsample_part_map_majority_and_sampling():
    part = torch.tensor([[[0, 0, 1, 1], [0, 2, 1, 1], [3, 3, 2, 2],
                          [3, 3, 2, 0]]])
    grid = downsample_part_map(part, (2, 2))
    assert grid.tolist() == [[[0, 1], [3, 2]]]
    torch.manual_seed(0)
    ids, present = sample_part_ids(grid, num_ids=6, num_samples=5)
    assert ids.shape == (1, 5) and len(set(ids[0].tolist())) == 5
    # the 4 present ids are always drawn before absent ones
    assert set(ids[0][present[0]].tolist()) == {0, 1, 2, 3}
    assert present[0].sum() == 4


# ------------------------------------------------------------ DetCon-B loss
def _reference_detcon_loss(preds, targets, ids, valid, t):
    """Direct transcription of the DetCon-B objective, query by query."""
    _, b, s, _ = preds.shape
    preds = F.normalize(preds, dim=-1)
    targets = F.normalize(targets, dim=-1)
    total = 0.0
    for a in (0, 1):
        other = 1 - a
        losses = []
        for i in range(b):
            for j in range(s):
                q = preds[a, i, j]
                keys, positive = [], []
                for view in (other, a):
                    for n in range(b):
                        for m in range(s):
                            if not valid[view, n, m]:
                                continue
                            same = n == i and ids[view, n, m] == ids[a, i, j]
                            if view == a and same:
                                continue  # the query's own part
                            keys.append(float(q @ targets[view, n, m]) / t)
                            positive.append(view == other and same)
                npos = int(sum(bool(p) for p in positive))
                if npos == 0 or not valid[a, i, j]:
                    losses.append(0.0)
                    continue
                logz = math.log(sum(math.exp(k) for k in keys))
                ce = -sum(k - logz for k, p in zip(keys, positive) if p) / npos

                dup = int((ids[a, i] == ids[a, i, j]).sum())
                losses.append(ce / dup)
        total += sum(losses) / len(losses)
    return float(total)


def test_detcon_b_loss_matches_direct_computation():
    g = torch.Generator().manual_seed(0)
    b, s, d = 3, 4, 6
    preds = torch.randn(2, b, s, d, generator=g)
    targets = torch.randn(2, b, s, d, generator=g)
    ids = torch.randint(0, 5, (2, b, s), generator=g)
    valid = torch.rand(2, b, s, generator=g) > 0.2
    got = detcon_b_loss(preds, targets, ids, ids, valid, valid, 0.1)
    want = _reference_detcon_loss(preds, targets, ids, valid, 0.1)
    assert got.item() == pytest.approx(want, rel=1e-5)


def test_detcon_b_loss_with_gathered_targets_equals_global_batch():
    """Process 1 of 2 (images 2-3 of a global batch of 4) sees the same
    per-query losses as one process holding the whole batch."""
    g = torch.Generator().manual_seed(1)
    preds = torch.randn(2, 4, 3, 8, generator=g)
    targets = torch.randn(2, 4, 3, 8, generator=g)
    ids = torch.randint(0, 4, (2, 4, 3), generator=g)
    valid = torch.ones(2, 4, 3, dtype=torch.bool)
    full = _reference_detcon_loss(preds, targets, ids, valid, 0.1)
    first = detcon_b_loss(
        preds[:, :2],
        targets,
        ids[:, :2],
        ids,
        valid[:, :2],
        valid,
        0.1,
        image_offset=0)
    second = detcon_b_loss(
        preds[:, 2:],
        targets,
        ids[:, 2:],
        ids,
        valid[:, 2:],
        valid,
        0.1,
        image_offset=2)
    assert ((first + second) / 2).item() == pytest.approx(full, rel=1e-5)


def test_perfect_part_predictions_give_lower_loss():
    g = torch.Generator().manual_seed(2)
    targets = torch.randn(2, 4, 3, 16, generator=g)
    ids = torch.stack([torch.arange(3).repeat(4, 1)] * 2)
    valid = torch.ones(2, 4, 3, dtype=torch.bool)
    matched = targets.flip(0)  # predict the same part of the other view
    random = torch.randn(2, 4, 3, 16, generator=g)
    assert detcon_b_loss(matched, targets, ids, ids, valid, valid) < \
        detcon_b_loss(random, targets, ids, ids, valid, valid)


# ------------------------------------------------------- DetCon / PARTICLE
SMALL_PARTICLE = dict(
    type='PARTICLE',
    backbone=TINY_RESNET,
    neck=dict(LN_MLP, in_channels=64, hid_channels=32, out_channels=16),
    predictor=dict(LN_MLP, in_channels=16, hid_channels=32, out_channels=16),
    num_parts=4,
    num_samples=3,
    discovery_size=48,
    discovery_grid=12,
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True))


def test_particle_discovers_parts_and_trains_on_them():
    model = MODELS.build(copy.deepcopy(SMALL_PARTICLE))
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 256, (40 + 8 * i, 56, 3), np.uint8) for i in range(3)
    ]
    maps = model.discover_parts(images)
    assert [m.shape for m in maps] == [(12, 12)] * 3
    assert all(m.max() < 4 for m in maps)

    views = [
        torch.randint(0, 256, (2, 3, 48, 48), dtype=torch.uint8)
        for _ in range(2)
    ]
    masks = torch.randint(0, 4, (2, 2, 48, 48))
    samples = [DataSample() for _ in range(2)]
    for s, m in zip(samples, masks):
        s.set_field(m.numpy(), 'part_masks')
    data = model.data_preprocessor(
        dict(inputs=views, data_samples=samples), True)
    loss = model(**data, mode='loss')['loss']
    assert loss.item() > 0
    loss.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.predictor.fc0.weight.grad.abs().sum() > 0
    # the target network is an EMA: no gradients
    assert all(p.grad is None for p in model.target.parameters())


def test_detcon_felzenszwalb_parts_at_image_resolution():
    cfg = copy.deepcopy(SMALL_PARTICLE)
    for key in ('num_parts', 'discovery_size', 'discovery_grid'):
        cfg.pop(key)
    model = MODELS.build(dict(cfg, type='DetCon', fh_min_size=20))
    img, _ = render_bird(
        BirdClass('cone', 'none', 'plain', 'white'), 64,
        np.random.default_rng(0))
    (segments, ) = model.discover_parts([img[..., ::-1]])
    assert segments.shape == (64, 64) and segments.max() >= 2


# ----------------------------------------------------------- end to end
def test_particle_two_rounds_end_to_end_and_resume(tiny_synthetic, tool,
                                                   repo_root):
    base = f'{repo_root}/configs/particle_synthetic.py'
    opts = [
        *TINY, 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
        'model.epochs_per_round=1', 'default_hooks.checkpoint.interval=1'
    ]
    full = tiny_synthetic / 'work_dirs' / 'particle_full'
    out = train(tool, tiny_synthetic, base, full, opts)
    rounds = re.findall(r'part maps of 24 images written to \S+round_(\d)',
                        out)
    assert rounds == ['0', '1']
    assert 'retrieval/mAP' in out
    maps = list((full / 'part_maps' / 'round_1').rglob('*.png'))
    assert len(maps) == 24

    # killed after epoch 1, resumed: round 1's maps are discovered from the
    # epoch-1 checkpoint and the run ends with the same weights
    part = tiny_synthetic / 'work_dirs' / 'particle_part'
    train_killed_after(
        tool,
        tiny_synthetic,
        base,
        part,
        opts,
        epoch=1,
        custom_hooks=[
            dict(type='IterationSeedHook'),
            dict(type='PartMapHook')
        ])
    assert not (part / 'part_maps' / 'round_1').exists()
    train_resumed(tool, tiny_synthetic, base, part, opts, epoch=1)
    assert_same_weights(full / 'epoch_2.pth', part / 'epoch_2.pth')

    # the discovered parts drawn over test images
    png = tiny_synthetic / 'parts.png'
    visualize(tool, tiny_synthetic, base, full / 'epoch_2.pth', png, 2)
    from PIL import Image
    # 2 rows; input, discovered parts, ground-truth parts; 64 px tiles
    assert Image.open(png).size == (2 * (3 * 66 + 2), 2 * (2 * 66 + 2))


def test_detcon_end_to_end(tiny_synthetic, tool, repo_root):
    work = tiny_synthetic / 'work_dirs' / 'detcon'
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/detcon_synthetic.py',
            '--work-dir',
            str(work), '--cfg-options', *TINY, 'train_cfg.max_epochs=1',
            'train_cfg.val_interval=1'
        ],
             cwd=tiny_synthetic))
    assert 'DetCon.discover_parts' in out and 'retrieval/mAP' in out
    out = assert_ok(
        tool([
            'test.py', f'{repo_root}/configs/detcon_synthetic.py',
            str(work / 'epoch_1.pth'), '--cfg-options', *TINY[1:]
        ],
             cwd=tiny_synthetic))
    assert 'retrieval/Rank-1' in out


# ------------------------------------------------------- misuse, named
MISUSED_CONFIGS = {
    # a method without discover_parts under the part-map hook
    'model': ("_base_ = '{repo}/configs/mocov2_synthetic.py'\n"
              "custom_hooks = [dict(type='IterationSeedHook'), "
              "dict(type='PartMapHook')]\n"),
    # DetCon on the plain training set, which has no part maps
    'dataset': ("_base_ = '{repo}/configs/detcon_synthetic.py'\n"
                'train_dataloader = dict(dataset=dict(_base_.train_set, '
                '_delete_=True, pipeline=_base_.train_pipeline))\n'),
}


@pytest.mark.parametrize('misuse', sorted(MISUSED_CONFIGS))
def test_part_map_misuse_stops_with_a_named_error(misuse, tiny_synthetic, tool,
                                                  repo_root, tmp_path):
    config = tmp_path / f'{misuse}.py'
    config.write_text(MISUSED_CONFIGS[misuse].format(repo=repo_root))
    proc = tool([
        'train.py',
        str(config), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *TINY,
        'train_cfg.max_epochs=1'
    ],
                cwd=tiny_synthetic)
    assert proc.returncode != 0
    assert 'AttributeError' not in proc.stdout
    if misuse == 'model':
        assert (f'{config}: PartMapHook needs a model that discovers parts '
                '(a PartDiscoverer') in proc.stdout
        assert 'model.type is MoCoV2' in proc.stdout
    else:
        assert ('PartMapHook needs train_dataloader.dataset to be a '
                'PartMapDataset, got CUB') in proc.stdout


def test_part_methods_name_what_is_missing_without_part_maps(tiny_synthetic):
    """A PartMapDataset read before any hook wrote its maps, and a batch
    without part masks, each say what the config lacks."""
    dataset = PartMapDataset(
        dict(
            type='CUB',
            data_root=str(tiny_synthetic / 'data' / 'synthetic_birds'),
            split='train'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadPartMap')])
    with pytest.raises(RuntimeError, match='add a PartMapHook'):
        dataset[0]
    model = MODELS.build(copy.deepcopy(SMALL_PARTICLE))
    views = [torch.zeros(2, 3, 48, 48, dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(
        dict(inputs=views, data_samples=[DataSample(),
                                         DataSample()]), True)
    with pytest.raises(
            KeyError, match='PARTICLE trains on part maps.*'
            'PartMapDataset'):
        model(**data, mode='loss')

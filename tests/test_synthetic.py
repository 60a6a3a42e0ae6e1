"""The synthetic benchmark: layout, determinism, exact part maps, and the
fine-grained property (class changes only small local parts)."""
import os.path as osp

import numpy as np
import pytest
from mmpretrain.datasets import CUB
from PIL import Image

from mmfgssl.datasets import PART_NAMES, make_synthetic_birds, render_bird
from mmfgssl.datasets.synthetic import PART_IDS, BirdClass, choose_classes


def test_mmpretrain_cub_reads_the_layout(tiny_synthetic):
    root = str(tiny_synthetic / 'data' / 'synthetic_birds')
    train = CUB(data_root=root, split='train')
    test = CUB(data_root=root, split='test')
    assert (len(train), len(test)) == (4 * 6, 4 * 2)
    assert sorted(set(train.get_gt_labels())) == [0, 1, 2, 3]
    info = train.get_data_info(0)
    img = np.asarray(Image.open(info['img_path']))
    assert img.shape == (64, 64, 3)
    part_path = info['img_path'].replace('/images/', '/parts/')[:-4] + '.png'
    part_map = np.asarray(Image.open(part_path))
    assert part_map.shape == (64, 64)
    assert set(np.unique(part_map)) <= set(range(len(PART_NAMES)))
    # bounding_boxes.txt encloses exactly the labelled object pixels
    with open(osp.join(root, 'bounding_boxes.txt')) as f:
        x, y, w, h = map(int, f.readline().split()[1:])
    ys, xs = np.nonzero(part_map)
    assert (x, y, w, h) == (xs.min(), ys.min(), np.ptp(xs) + 1, np.ptp(ys) + 1)


def test_generation_is_deterministic(tmp_path):
    kwargs = dict(
        num_classes=3,
        images_per_class=3,
        train_per_class=2,
        image_size=48,
        seed=7)
    make_synthetic_birds(str(tmp_path / 'a'), **kwargs)
    make_synthetic_birds(str(tmp_path / 'b'), **kwargs)
    make_synthetic_birds(str(tmp_path / 'c'), **dict(kwargs, seed=8))
    files = open(tmp_path / 'a' / 'images.txt').read().split()[1::2]
    for rel in files:
        a = (tmp_path / 'a' / 'images' / rel).read_bytes()
        assert a == (tmp_path / 'b' / 'images' / rel).read_bytes()
    other = open(tmp_path / 'c' / 'images.txt').read().split()[1::2]
    assert any(
        (tmp_path / 'a' / 'images' /
         f).read_bytes() != (tmp_path / 'c' / 'images' / g).read_bytes()
        for f, g in zip(files, other))


def test_refuses_to_overwrite(tmp_path):
    make_synthetic_birds(str(tmp_path / 'd'), 2, 2, 48, 1)
    with pytest.raises(FileExistsError, match='overwrite'):
        make_synthetic_birds(str(tmp_path / 'd'), 2, 2, 48, 1)


def test_class_changes_only_small_local_parts():
    """Same nuisance draw, different class: the images differ only inside
    the discriminative parts (beak, eye, crest, wing bars), in few pixels."""
    a = BirdClass('cone', 'none', 'plain', 'white')
    b = BirdClass('long', 'double', 'crested', 'red')
    size = 96
    changed, object_share = [], []
    for seed in range(8):
        img_a, lbl_a = render_bird(a, size, np.random.default_rng(seed))
        img_b, lbl_b = render_bird(b, size, np.random.default_rng(seed))
        diff = np.abs(img_a.astype(int) - img_b.astype(int)).max(-1) > 0
        local = np.isin(
            lbl_a,
            [PART_IDS[p] for p in ('beak', 'eye', 'crest', 'wing', 'head')])
        local |= np.isin(
            lbl_b,
            [PART_IDS[p] for p in ('beak', 'eye', 'crest', 'wing', 'head')])
        assert not (diff & ~local).any()
        changed.append(diff.mean())
        object_share.append(diff.sum() / (lbl_a > 0).sum())
    # the class-defining pixels are a few percent of the image and a small
    # part of the bird itself
    assert np.mean(changed) < 0.04
    assert np.mean(object_share) < 0.3


def test_part_map_is_exact():
    """Pixels labelled eye-ring carry the class's ring colour (up to the
    lighting gain and noise), pixels labelled background never do."""
    cls = BirdClass('hooked', 'single', 'crested', 'red')
    img, lbl = render_bird(cls, 128, np.random.default_rng(3))
    eye = img[lbl == PART_IDS['eye']].astype(float)
    # red ring: red channel dominates for most eye pixels (the pupil is dark)
    red_share = ((eye[:, 0] > eye[:, 1] + 60) & (eye[:, 0] > eye[:, 2] + 60))
    assert red_share.mean() > 0.4
    for part in ('body', 'head', 'beak', 'wing', 'tail', 'eye', 'crest'):
        assert (lbl == PART_IDS[part]).any(), part


def test_choose_classes_is_seeded_and_distinct():
    assert choose_classes(10, 0) == choose_classes(10, 0)
    assert len(set(choose_classes(36, 0))) == 36
    with pytest.raises(ValueError, match='num_classes'):
        choose_classes(37, 0)

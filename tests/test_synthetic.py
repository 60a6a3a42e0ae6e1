"""The synthetic benchmark: layout, determinism, exact part maps, and the
fine-grained property (class changes only small local parts)."""
import json
import os.path as osp

import numpy as np
import pytest
from mmpretrain.datasets import CUB
from PIL import Image

from mmfgssl.datasets import PART_NAMES, make_synthetic_birds, render_bird
from mmfgssl.datasets.drawing import MARKER
from mmfgssl.datasets.synthetic import (PART_IDS, BirdClass, BirdStyle,
                                        choose_classes)


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


def test_keep_current_reuses_only_a_complete_identical_data_set(tmp_path):
    """What the quick start runs: the current benchmark is kept as it is;
    one drawn with another style (an older release), or interrupted before
    its annotation files, is redrawn."""
    root = str(tmp_path / 'birds')
    old_style = BirdStyle(beak_scale=1.4)
    assert make_synthetic_birds(root, 2, 2, 48, 1, style=old_style)['written']
    image = tmp_path / 'birds' / 'images.txt'
    first = open(image).read().split()[1]
    old_bytes = (tmp_path / 'birds' / 'images' / first).read_bytes()
    args = (root, 2, 2, 48, 1)
    assert make_synthetic_birds(
        *args, overwrite=True, keep_current=True)['written']
    new_bytes = (tmp_path / 'birds' / 'images' / first).read_bytes()
    assert new_bytes != old_bytes
    assert not make_synthetic_birds(
        *args, overwrite=True, keep_current=True)['written']
    assert (tmp_path / 'birds' / 'images' / first).read_bytes() == new_bytes
    with pytest.raises(FileExistsError, match='overwrite'):
        make_synthetic_birds(*args, style=old_style, keep_current=True)
    marker = tmp_path / 'birds' / MARKER
    info = json.loads(marker.read_text())
    marker.write_text(
        json.dumps(dict(info, entries=['images', 'parts'])))  # interrupted
    assert make_synthetic_birds(
        *args, overwrite=True, keep_current=True)['written']


def test_overwrite_validates_first_and_touches_only_generated_data(
        tmp_path, tool):
    """--overwrite with bad arguments leaves the benchmark as it was; a
    folder the generator did not write is refused whole; inside a generated
    one, only the generator's own entries are replaced."""
    root = tmp_path / 'data' / 'synthetic_birds'
    make_synthetic_birds(str(root), 2, 3, 48, 1)
    before = sorted(p.relative_to(root) for p in root.rglob('*'))
    proc = tool(
        ['make_synthetic.py',
         str(root), '--num-classes', '0', '--overwrite'],
        cwd=tmp_path)
    assert proc.returncode != 0 and 'num_classes=0' in proc.stdout
    assert sorted(p.relative_to(root) for p in root.rglob('*')) == before

    source = tmp_path / 'my_project'
    (source / 'src').mkdir(parents=True)
    (source / 'src' / 'main.py').write_text('print(1)')
    proc = tool(
        ['make_synthetic.py', str(source), '--overwrite'], cwd=tmp_path)
    assert proc.returncode != 0 and 'not written by' in proc.stdout
    assert (source / 'src' / 'main.py').read_text() == 'print(1)'

    (root / 'my_notes.txt').write_text('keep me')
    make_synthetic_birds(str(root), 3, 3, 48, 1, overwrite=True)
    assert (root / 'my_notes.txt').read_text() == 'keep me'
    assert len(open(root / 'classes.txt').readlines()) == 3


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
    # the class-defining pixels are a few percent of the image and under
    # half of the bird itself (4.8 % and 47 % at the benchmark's scales)
    assert np.mean(changed) < 0.06
    assert np.mean(object_share) < 0.5


def test_class_deciding_parts_are_never_cut_off():
    """The pose and shift vary, but the head, beak, eye, crest and wing
    always lie inside the image, off its border; the tail may be cut."""
    border = np.ones((96, 96), bool)
    border[1:-1, 1:-1] = False
    cut_tails = 0
    for seed in range(60):
        cls = BirdClass('long', 'double', 'crested', 'red')
        _, lbl = render_bird(cls, 96, np.random.default_rng([seed, 1]))
        for part in ('head', 'beak', 'eye', 'crest', 'wing'):
            assert (lbl == PART_IDS[part]).any(), (seed, part)
            assert not (border & (lbl == PART_IDS[part])).any(), (seed, part)
        cut_tails += (border & (lbl == PART_IDS['tail'])).any()
    assert cut_tails  # only the details are kept in: the nuisances still vary


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


# ------------------------------------------------- the generic objects ----
def test_generic_objects_are_deterministic_and_share_no_benchmark_class(
        tmp_path):
    from mmfgssl.datasets.generic import generic_classes, make_generic_objects
    from mmfgssl.datasets.synthetic import (BENCHMARK_ATTRIBUTES,
                                            all_bird_classes)
    benchmark = set(all_bird_classes())  # every class any seed can draw
    generic_birds = [
        BirdClass(*c.details) for c in generic_classes() if c.kind == 'bird'
    ]
    assert generic_birds and not benchmark & set(generic_birds)
    # the birds show every benchmark beak, crest and eye ring, never its wings
    for part, values in BENCHMARK_ATTRIBUTES.items():
        seen = {getattr(b, part) for b in generic_birds}
        assert (seen & set(values)) == (
            set() if part == 'wing' else set(values))
    for name in ('a', 'b'):
        make_generic_objects(
            str(tmp_path / name),
            images_per_class=2,
            train_per_class=1,
            image_size=48)
    rows = open(tmp_path / 'a' / 'images.txt').read().split()[1::2]
    assert len(rows) == 2 * len(generic_classes())
    for rel in rows:
        assert (tmp_path / 'a' / 'images' /
                rel).read_bytes() == (tmp_path / 'b' / 'images' /
                                      rel).read_bytes()


def test_attribute_table_and_head_by_hand():
    import torch
    import torch.nn.functional as F
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    from mmfgssl.datasets.generic import attribute_table, generic_classes
    names, table = attribute_table()
    classes = generic_classes()
    assert table.shape == (len(classes), len(names))
    assert len({tuple(row) for row in table}) == len(classes)  # distinct
    spoon = names.index('bird.beak=spoon')
    for c, cls in enumerate(classes):
        assert table[c, names.index(f'kind={cls.kind}')] == 1
        assert table[c].sum() == 1 + len(cls.details)
        assert table[c, spoon] == (
            cls.kind == 'bird' and cls.details[0] == 'spoon')
    head = MODELS.build(
        dict(
            type='AttributeClsHead',
            attributes='generic_objects',
            in_channels=5))
    feats = (torch.randn(3, 5), )
    logits = head.fc(feats[0])
    labels = torch.tensor([0, 7, len(classes) - 1])
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    target = torch.from_numpy(table)[labels]
    expected = sum(
        F.binary_cross_entropy_with_logits(logits[:, a], target[:, a])
        for a in range(len(names)))
    assert torch.allclose(head.loss(feats, samples)['loss'], expected)
    # a class scores the log-likelihood of its own attributes
    p = torch.sigmoid(logits)
    t = torch.from_numpy(table)
    by_hand = (torch.log(p)[:, None] * t + torch.log(1 - p)[:, None] *
               (1 - t)).sum(-1)
    assert torch.allclose(head(feats), by_hand, atol=1e-4)

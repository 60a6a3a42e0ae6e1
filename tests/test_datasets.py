"""Evaluation splits and up-front dataset checks."""
import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

import mmfgssl  # noqa: F401
from mmfgssl.datasets import check_dataset_roots, holdout_indices


def test_holdout_indices_are_stratified_and_seeded():
    labels = np.repeat(np.arange(5), [10, 10, 3, 2, 1])
    held = holdout_indices(labels, 0.2, seed=0)
    counts = np.bincount(labels[held], minlength=5)
    # 20% of 10 -> 2; at least one; never a whole class; singletons skipped
    assert counts.tolist() == [2, 2, 1, 1, 0]
    assert np.array_equal(held, holdout_indices(labels, 0.2, seed=0))
    assert not np.array_equal(held, holdout_indices(labels, 0.2, seed=1))


def _cub(tiny, split='train'):
    return dict(
        type='CUB',
        data_root=str(tiny / 'data' / 'synthetic_birds'),
        split=split)


def _paths(dataset):
    return {dataset.get_data_info(i)['img_path'] for i in range(len(dataset))}


def test_holdout_split_parts_are_complementary(tiny_synthetic):
    kwargs = dict(dataset=_cub(tiny_synthetic), holdout_fraction=0.34)
    held = DATASETS.build(dict(type='HoldoutSplit', part='holdout', **kwargs))
    rest = DATASETS.build(dict(type='HoldoutSplit', part='rest', **kwargs))
    assert len(held) == 4 * 2 and len(rest) == 4 * 4
    assert not _paths(held) & _paths(rest)
    full = DATASETS.build(_cub(tiny_synthetic))
    assert _paths(held) | _paths(rest) == _paths(full)
    with pytest.raises(ValueError, match="part='val'"):
        DATASETS.build(dict(type='HoldoutSplit', part='val', **kwargs))


def test_eval_splits_dataset_tags_roles(tiny_synthetic):
    dataset = DATASETS.build(
        dict(
            type='EvalSplitsDataset',
            query=_cub(tiny_synthetic, 'test'),
            memory=_cub(tiny_synthetic, 'train'),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='PackInputs')]))
    assert len(dataset) == 24 + 8
    roles = [dataset[i]['data_samples'].eval_role for i in range(len(dataset))]
    assert roles == ['memory'] * 24 + ['query'] * 8
    last = dataset[-1]
    assert last['inputs'].shape == (3, 64, 64)
    assert last['data_samples'].img_path.endswith('.jpg')


def test_missing_root_names_key_path_and_synthetic_command(tmp_path):
    cfg = Config.fromfile('configs/mocov2_cub.py')
    with pytest.raises(FileNotFoundError) as info:
        check_dataset_roots(cfg, 'configs/mocov2_cub.py')
    message = str(info.value)
    assert 'configs/mocov2_cub.py' in message
    assert "train_dataloader.dataset.data_root = 'data/CUB_200_2011/'" in (
        message)
    assert 'images.txt' in message
    assert 'tools/make_synthetic.py' in message


def test_existing_synthetic_root_passes(tiny_synthetic, monkeypatch,
                                        repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/mocov2_synthetic.py')
    monkeypatch.chdir(tiny_synthetic)
    check_dataset_roots(cfg)


def _copy_of(tiny, tmp_path):
    import shutil
    root = tmp_path / 'birds'
    shutil.copytree(tiny / 'data' / 'synthetic_birds', root)
    return root


def _check(root, split='train', classes=True):
    node = dict(type='CUB', data_root=str(root), split=split)
    if classes:
        node['classes'] = str(root / 'classes.txt')
    check_dataset_roots(Config(dict(train_dataloader=dict(dataset=node))))


def test_annotation_errors_name_the_file_and_line(tiny_synthetic, tmp_path):
    root = _copy_of(tiny_synthetic, tmp_path)
    _check(root)
    labels = root / 'image_class_labels.txt'
    original = labels.read_text()
    for bad in ('0', '5', 'x'):  # 4 classes, labels are 1-based
        lines = original.splitlines()
        lines[2] = lines[2].split()[0] + ' ' + bad
        labels.write_text('\n'.join(lines) + '\n')
        with pytest.raises(ValueError) as info:
            _check(root)
        assert f'{labels}, line 3: class {bad!r}' in str(info.value)
    labels.write_text(original)
    split = root / 'train_test_split.txt'
    split.write_text(''.join(f'{line.split()[0]} 0\n'
                             for line in split.read_text().splitlines()))
    with pytest.raises(ValueError, match="no image is in the 'train' split"):
        _check(root)
    _check(root, split='test')
    images = root / 'images.txt'
    data = images.read_bytes()
    at = data.index(b'\n') + 5  # inside line 2
    images.write_bytes(data[:at] + b'\xff\xfe' + data[at:])
    with pytest.raises(ValueError, match=f'{images}, line 2: not UTF-8'):
        _check(root)


def test_evaluation_images_of_different_sizes_are_named(
        tiny_synthetic, tmp_path):
    from PIL import Image
    root = _copy_of(tiny_synthetic, tmp_path)
    query = dict(type='CUB', data_root=str(root), split='test')
    DATASETS.build(dict(type='EvalSplitsDataset', query=query))
    odd = root / 'images' / open(root / 'images.txt').read().split()[-1]
    Image.open(odd).resize((40, 40)).save(odd)
    with pytest.raises(ValueError, match=f'{odd} is 40x40 but .* is 64x64'):
        DATASETS.build(dict(type='EvalSplitsDataset', query=query))
    # a pipeline that crops to a fixed size does not need equal images
    DATASETS.build(
        dict(
            type='EvalSplitsDataset',
            query=query,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='CenterCrop', crop_size=32)
            ]))

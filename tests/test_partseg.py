"""Few-shot part segmentation: dataset layouts, transforms, IoU, strict
checkpoint loading and the protocol end to end."""
import copy
import os
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.runner import save_checkpoint
from mmseg.registry import DATASETS, MODELS, TRANSFORMS
from PIL import Image

import mmfgssl  # noqa: F401
import mmfgssl.segmentation  # noqa: F401
from conftest import TINY_RESNET, load_tool, write_oid
from mmfgssl.datasets.synthetic import BirdClass, render_bird
from mmfgssl.segmentation import (FewShotPartIoU, intersect_union,
                                  multilabel_intersect_union)

BIRD = BirdClass('hooked', 'single', 'crested', 'red')


@pytest.fixture(autouse=True)
def mmseg_scope():
    # Restored afterwards: a leaked mmseg scope breaks later mmpretrain builds.
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def _bird(seed, size=48):
    img, parts = render_bird(BIRD, size, np.random.default_rng(seed))
    return img, parts


def write_pascub(root, n_cub_train=3, n_pascal=2, n_test=4):
    """PASCUB_Birds layout; labels saved as RGB PNGs like the original."""
    for source, split, n in (('CUB_Parts', 'train', n_cub_train),
                             ('PASCAL_Parts', 'train',
                              n_pascal), ('CUB_Parts', 'test', n_test)):
        for d in (f'images_{split}', f'parts_{split}'):
            os.makedirs(root / source / d, exist_ok=True)
        for i in range(n):
            img, parts = _bird(hash((source, split, i)) % 1000)
            Image.fromarray(img).save(root / source / f'images_{split}' /
                                      f'{source}_{i}.jpg')
            rgb = np.repeat(parts[..., None], 3, -1)  # ids in every channel
            Image.fromarray(rgb).save(root / source / f'parts_{split}' /
                                      f'{source}_{i}.png')


def test_pascub_layout_kshot_and_rgb_labels(tmp_path):
    write_pascub(tmp_path)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadPartAnnotations')
    ]
    train = DATASETS.build(
        dict(
            type='PASCUBPartsDataset',
            data_root=str(tmp_path),
            split='train',
            pipeline=pipeline))
    assert len(train) == 3 + 2  # CUB + PASCAL birds
    test = DATASETS.build(
        dict(
            type='PASCUBPartsDataset',
            data_root=str(tmp_path),
            split='test',
            pipeline=pipeline))
    assert len(test) == 4
    assert len(train.metainfo['classes']) == 11
    sample = test[0]
    assert sample['gt_seg_map'].ndim == 2  # first channel of the RGB PNG

    def kshot(seed):
        return DATASETS.build(
            dict(
                type='PASCUBPartsDataset',
                data_root=str(tmp_path),
                split='train',
                num_shots=2,
                seed=seed))

    def paths(dataset):
        return [
            dataset.get_data_info(i)['img_path'] for i in range(len(dataset))
        ]

    assert len(kshot(0)) == 2 and paths(kshot(0)) == paths(kshot(0))
    assert set(paths(kshot(0))) <= set(paths(train))
    with pytest.raises(ValueError, match='num_shots=9'):
        DATASETS.build(
            dict(
                type='PASCUBPartsDataset',
                data_root=str(tmp_path),
                split='train',
                num_shots=9))
    with pytest.raises(FileNotFoundError, match='images_train'):
        DATASETS.build(
            dict(
                type='PASCUBPartsDataset',
                data_root=str(tmp_path / 'nowhere')))


def test_oid_layout_bitset_labels_and_banner(tmp_path):
    write_oid(tmp_path)
    dataset = DATASETS.build(
        dict(
            type='OIDAircraftPartsDataset',
            data_root=str(tmp_path),
            ann_file='train_oid.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadOIDAircraftParts', banner=21)
            ]))
    assert len(dataset) == 3
    sample = dataset[0]
    assert sample['img'].shape[:2] == (40 - 21, 30)
    labels = sample['gt_seg_map']
    assert labels.shape == (19, 30)
    # row 7 lies in the bands of nose (0-9) and VS (5-14): bits 0 and 1
    assert labels[7, 0] == 0b0011
    # row 12: VS (5-14) and wheel (10-19): bits 1 and 2
    assert labels[12, 0] == 0b0110
    assert labels[18, 0] == 0b1100  # wheel and wing (15-24)


def test_flip_swaps_left_and_right_parts():
    flip = TRANSFORMS.build(
        dict(
            type='FlipSwapParts',
            prob=1.0,
            swap_pairs=[(4, 5), (6, 7), (8, 9)]))
    labels = np.array([[0, 4, 5, 1], [6, 7, 8, 9]], np.uint8)
    img = np.arange(8 * 3, dtype=np.uint8).reshape(2, 4, 3)
    out = flip(dict(img=img.copy(), gt_seg_map=labels.copy()))
    assert out['gt_seg_map'].tolist() == [[1, 4, 5, 0], [8, 9, 6, 7]]
    assert np.array_equal(out['img'], img[:, ::-1])


def test_crop_to_parts_keeps_margin():
    crop = TRANSFORMS.build(dict(type='CropToParts', margin=2))
    labels = np.zeros((20, 20), np.uint8)
    labels[5:8, 10:12] = 3
    out = crop(dict(img=np.zeros((20, 20, 3), np.uint8), gt_seg_map=labels))
    assert out['gt_seg_map'].shape == (3 - 1 + 4, 2 - 1 + 4)
    assert out['img'].shape[:2] == out['gt_seg_map'].shape


def test_single_and_multilabel_iou_by_hand():
    pred = torch.tensor([[0, 1], [1, 2]])
    label = torch.tensor([[0, 1], [2, 255]])
    stats = intersect_union(pred, label, 3)
    # class 0: I=1 U=1; class 1: I=1, pred{(0,1),(1,0)} label{(0,1)} U=2;
    # class 2: I=0, pred{} (the ignored pixel is skipped) label{(1,0)} U=1
    assert stats.tolist() == [[1, 1, 0], [1, 2, 1]]
    # two overlapping parts; labels are bit sets
    logits = torch.tensor([[[5., -5.], [5., 5.]], [[5., 5.], [-5., -5.]]])
    bits = torch.tensor([[0b01, 0b11], [0b00, 0b01]])
    stats = multilabel_intersect_union(logits, bits, 2)
    # part 0: pred {00,10,11}, truth {00,01,11}: I=2, U=4
    # part 1: pred {00,01},    truth {01}:       I=1, U=2
    assert stats.tolist() == [[2, 1], [4, 2]]


def test_fold_metrics_select_on_one_fold_score_on_the_others():
    metric = FewShotPartIoU(num_folds=2)
    metric.dataset_meta = dict(classes=('bg', 'part'))
    # image 0/1 form fold 0, images 2/3 fold 1; image 4 is left over
    per_image = [
        np.array([[1, 1], [2, 1]]),
        np.array([[1, 0], [1, 1]]),
        np.array([[0, 2], [2, 2]]),
        np.array([[3, 0], [3, 4]]),
        np.array([[9, 9], [9, 9]])
    ]
    out = metric.compute_metrics(per_image)
    assert out['fold0_mIoU'] == pytest.approx(100 * (2 / 3 + 1 / 2) / 2)
    assert out['rest0_mIoU'] == pytest.approx(100 * (3 / 5 + 2 / 6) / 2)
    assert out['fold1_mIoU'] == out['rest0_mIoU']
    total = np.sum(per_image, 0)
    assert out['mIoU'] == pytest.approx(100 * np.mean(total[0] / total[1]))
    # per part, the score's images: fold 1 for fold 0 and fold 0 for fold 1
    assert out['rest0_IoU.bg'] == pytest.approx(100 * 3 / 5)
    assert out['rest0_IoU.part'] == pytest.approx(100 * 2 / 6)
    assert out['rest1_IoU.bg'] == pytest.approx(100 * 2 / 3)
    assert out['rest1_IoU.part'] == pytest.approx(100 * 1 / 2)
    # a part absent from a fold's images (union 0) has no IoU there
    per_image[2][:, 1] = per_image[3][:, 1] = 0
    out = metric.compute_metrics(per_image)
    assert np.isnan(out['rest0_IoU.part'])
    assert out['rest0_mIoU'] == pytest.approx(100 * 3 / 5)


def test_part_scores_average_each_folds_selected_checkpoint():
    """Per part, the protocol reports the IoU on the other folds of the
    checkpoint each fold selected, averaged over folds; a fold where the
    part is absent does not count."""
    module = load_tool('partseg_protocol')
    per_ckpt = {
        'epoch_50.pth': {
            'part/fold0_mIoU': 10., 'part/fold1_mIoU': 30.,
            'part/rest0_mIoU': 0., 'part/rest1_mIoU': 0.,
            'part/rest0_IoU.bg': 1., 'part/rest1_IoU.bg': 2.,
            'part/rest0_IoU.beak': 3., 'part/rest1_IoU.beak': 4.
        },
        'epoch_100.pth': {
            'part/fold0_mIoU': 20., 'part/fold1_mIoU': 5.,
            'part/rest0_mIoU': 0., 'part/rest1_mIoU': 0.,
            'part/rest0_IoU.bg': 50., 'part/rest1_IoU.bg': 60.,
            'part/rest0_IoU.beak': float('nan'),
            'part/rest1_IoU.beak': 80.
        }
    }
    rows, _ = module.fold_table(per_ckpt, 2)
    assert [r[1] for r in rows] == ['epoch_100.pth', 'epoch_50.pth']
    # fold 0 takes epoch 100's rest0, fold 1 epoch 50's rest1
    assert module.part_scores(per_ckpt, rows) == {'bg': 26.0, 'beak': 4.0}


SEG_MODEL = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', size_divisor=16),
    backbone=dict(
        TINY_RESNET,
        type='mmpretrain.ResNet',
        dilations=(1, 1, 1, 2),
        zero_init_residual=False,
        init_cfg=dict(
            type='Pretrained', checkpoint='', prefix='backbone.',
            strict=True)),
    decode_head=dict(
        type='PartUpsampleHead',
        in_channels=64,
        up_channels=(16, 8, 8, 8),
        num_classes=3,
        norm_cfg=dict(type='BN')),
    test_cfg=dict(mode='whole'))


def _ssl_checkpoint(tmp_path, depth=18):
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    backbone = PRETRAIN_MODELS.build(
        dict(type='ResNet', depth=depth, base_channels=8, stem_channels=8))
    for p in backbone.parameters():
        torch.nn.init.normal_(p)
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    state['neck.fc.weight'] = torch.zeros(2, 2)
    path = str(tmp_path / f'ssl_r{depth}.pth')
    save_checkpoint(dict(state_dict=state), path)
    return path, backbone.state_dict()


def test_strict_pretrained_loads_every_backbone_weight(tmp_path):
    path, weights = _ssl_checkpoint(tmp_path)
    cfg = copy.deepcopy(SEG_MODEL)
    cfg['backbone']['init_cfg']['checkpoint'] = path
    model = MODELS.build(cfg)
    model.init_weights()
    loaded = model.backbone.state_dict()
    for key, value in weights.items():
        assert torch.equal(loaded[key], value), key


def test_mismatched_or_missing_checkpoint_fails_loudly(tmp_path):
    path, _ = _ssl_checkpoint(tmp_path, depth=34)  # more blocks
    cfg = copy.deepcopy(SEG_MODEL)
    cfg['backbone']['init_cfg']['checkpoint'] = path
    with pytest.raises(RuntimeError, match='unexpected'):
        MODELS.build(cfg).init_weights()
    cfg['backbone']['init_cfg']['checkpoint'] = ''
    with pytest.raises(ValueError, match='init_cfg.checkpoint'):
        MODELS.build(cfg).init_weights()
    save_checkpoint(
        dict(state_dict={'other.w': torch.ones(1)}),
        str(tmp_path / 'nobackbone.pth'))
    cfg['backbone']['init_cfg']['checkpoint'] = str(tmp_path /
                                                    'nobackbone.pth')
    with pytest.raises(KeyError, match="'backbone.'"):
        MODELS.build(cfg).init_weights()


def test_multilabel_head_loss_is_per_part_bce():
    head = MODELS.build(
        dict(
            type='PartUpsampleHead',
            in_channels=4,
            up_channels=(4, ),
            num_classes=2,
            multi_label=True))
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    logits = torch.zeros(1, 2, 2, 2)
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(
        data=torch.tensor([[[0b01, 0b11], [0b10, 255]]]))
    loss = head.loss_by_feat(logits, [sample])['loss_bce']
    # zero logits: BCE = log 2 for every valid (pixel, part)
    assert loss.item() == pytest.approx(np.log(2))


def test_kshot_protocol_from_a_mocov2_checkpoint(tiny_synthetic, tool,
                                                 repo_root):
    ssl_dir = tiny_synthetic / 'work_dirs' / 'ssl_for_partseg'
    out = tool([
        'train.py', f'{repo_root}/configs/mocov2_synthetic.py', '--work-dir',
        str(ssl_dir), '--cfg-options', 'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=5'
    ],
               cwd=tiny_synthetic)
    assert out.returncode == 0, out.stdout[-4000:]
    # the synthetic configs' protocol: the decoder on the frozen backbone
    out = tool(
        [
            'partseg_protocol.py',
            f'{repo_root}/configs/partseg/synthetic_frozen.py',
            str(ssl_dir / 'epoch_1.pth'),
            '--shots',
            '8',
            '--work-dir',
            str(tiny_synthetic / 'work_dirs' / 'partseg'),
            '--cfg-options',
            'train_cfg.max_epochs=2',
            'default_hooks.checkpoint.interval=1',
            'train_dataloader.num_workers=0',
            'test_dataloader.num_workers=0',
            # the whole tiny test split (the config scores 200 of 640)
            'test_dataloader.dataset.num_shots=None'
        ],
        cwd=tiny_synthetic)
    assert out.returncode == 0, out.stdout[-4000:]
    # 8 test images -> 5 folds of 1; one row per fold and the summary
    rows = re.findall(r'\| (\d) \| epoch_\d\.pth \| [\d.]+ \| [\d.]+ \|',
                      out.stdout)
    assert rows == ['0', '1', '2', '3', '4']
    assert re.search(r'mean \+- std .*\*\*[\d.]+ \+- [\d.]+\*\*', out.stdout)
    # frozen: weights and batch-norm statistics are the checkpoint's, and
    # the decoder did train
    from mmfgssl.compat import safe_torch_load
    partseg = tiny_synthetic / 'work_dirs' / 'partseg'
    ssl = safe_torch_load(str(ssl_dir / 'epoch_1.pth'))['state_dict']
    first, last = (safe_torch_load(str(partseg / f'epoch_{e}.pth'))
                   ['state_dict'] for e in (1, 2))
    backbone = [k for k in last if k.startswith('backbone.')]
    assert any('running_mean' in k for k in backbone)
    for key in backbone:
        if 'num_batches_tracked' not in key:
            assert torch.equal(last[key], ssl[key]), key
    assert not torch.equal(first['decode_head.conv_seg.weight'],
                           last['decode_head.conv_seg.weight'])
    # decoders' predictions drawn side by side, one row per image: the
    # input, the ground truth over it, then each checkpoint's prediction
    out = tool([
        'visualize_partseg.py', f'{repo_root}/configs/partseg/'
        'synthetic_frozen.py',
        str(partseg / 'epoch_2.pth'),
        str(partseg / 'epoch_2.pth'), '--labels', 'a', 'b', '--num-images',
        '3', '--out',
        str(partseg / 'drawn.png'), '--cfg-options',
        'test_dataloader.dataset.num_shots=None'
    ],
               cwd=tiny_synthetic)
    assert out.returncode == 0, out.stdout[-4000:]
    assert 'columns: input, ground-truth parts, a, b' in out.stdout
    drawn = cv2.imread(str(partseg / 'drawn.png'))
    # image_grid: 96 px tiles, 2 px padding, magnified twice
    assert drawn.shape == ((98 * 3 + 2) * 2, (98 * 4 + 2) * 2, 3)
    column = [drawn[:, c * 196 + 4:(c + 1) * 196] for c in range(4)]
    assert not np.array_equal(column[0], column[1])  # parts drawn
    assert np.array_equal(column[2], column[3])  # one decoder, one drawing
    out = tool([
        'partseg_protocol.py',
        f'{repo_root}/configs/partseg/synthetic_finetune.py',
        str(ssl_dir / 'epoch_1.pth'), '--shots', '4'
    ],
               cwd=tiny_synthetic)
    assert out.returncode != 0 and 'smaller than the batch size' in (
        out.stdout)


@pytest.mark.parametrize('name,writer', [('pascub', write_pascub),
                                         ('oid_aircraft', write_oid)])
def test_real_partseg_configs_train_and_test_on_their_layout(
        name, writer, tmp_path, tool, repo_root):
    """The PASCUB and OID Aircraft configs (paper setting, ResNet-50) train
    one epoch and run the fold metric on fixture folders in their layouts,
    from a ResNet-50 checkpoint in the self-supervised key layout."""
    root = {'pascub': 'PASCUB_Birds', 'oid_aircraft': 'oid-aircraft-beta-1'}
    writer(tmp_path / 'data' / root[name])
    if name == 'oid_aircraft':  # test list: the same three ids
        (tmp_path / 'data' / root[name] / 'val_oid.txt').write_text(
            (tmp_path / 'data' / root[name] / 'train_oid.txt').read_text())
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    backbone = PRETRAIN_MODELS.build(dict(type='ResNet', depth=50))
    ckpt = str(tmp_path / 'ssl_r50.pth')
    save_checkpoint(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in backbone.state_dict().items()
        }), ckpt)
    config = f'{repo_root}/configs/partseg/{name}_r50_finetune.py'
    small = [
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'test_dataloader.num_workers=0', 'test_dataloader.batch_size=2'
    ]
    out = tool([
        'train.py', config, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={ckpt}', 'train_cfg.max_epochs=1',
        'default_hooks.checkpoint.interval=1', *small
    ],
               cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-4000:]
    out = tool([
        'test.py', config,
        str(tmp_path / 'work' / 'epoch_1.pth'), '--cfg-options', *small
    ],
               cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-4000:]
    classes = {'pascub': 'part10', 'oid_aircraft': 'wing'}[name]
    assert re.search(rf'part/IoU\.{classes}: [\d.na]+', out.stdout)
    assert 'part/mIoU' in out.stdout

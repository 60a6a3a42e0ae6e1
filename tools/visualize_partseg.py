"""Draw few-shot part-segmentation predictions of several trained decoders
side by side, over the protocol's test images.

    python tools/visualize_partseg.py CONFIG SEG_CKPT [SEG_CKPT ...]
        [--labels NAME ...] [--num-images 6] [--out partseg.png]
        [--cfg-options key=value ...]

CONFIG is the configs/partseg/ config the checkpoints were trained with
(one architecture for all); SEG_CKPT a checkpoint that
tools/partseg_protocol.py wrote (e.g. ``<run>/partseg_synthetic_frozen/
epoch_150.pth`` of a run_protocol.py run). One row per test image (the
first ``--num-images`` of the config's test list, as the protocol crops and
resizes them): the input, the ground-truth parts, then each checkpoint's
prediction, in one colour per part. The column titles are printed.
"""
import argparse
import os.path as osp

import cv2
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.registry import DATASETS, MODELS

import mmfgssl  # noqa: F401
from mmfgssl.visualization import draw_map, image_grid, to_rgb_images


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a configs/partseg/ config')
    parser.add_argument('checkpoints', nargs='+', help='trained decoders')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='column titles (default: the run folder of each checkpoint)')
    parser.add_argument('--num-images', type=int, default=6)
    parser.add_argument('--out', default='partseg.png')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def default_label(checkpoint: str) -> str:
    """``<config>/seed<S>`` of ``.../<config>/seed<S>/<stage>/epoch_N.pth``."""
    run = osp.dirname(osp.dirname(osp.abspath(checkpoint)))
    return osp.join(osp.basename(osp.dirname(run)), osp.basename(run))


def main():
    args = parse_args()
    labels = args.labels or [default_label(c) for c in args.checkpoints]
    if len(labels) != len(args.checkpoints):
        raise SystemExit(f'--labels names {len(labels)} columns for '
                         f'{len(args.checkpoints)} checkpoints')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope('mmseg')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    batch = pseudo_collate(
        [dataset[i] for i in range(min(args.num_images, len(dataset)))])
    # the decoders' weights come from their checkpoints, the backbone's too
    cfg.model.backbone.init_cfg = None
    predictions = []
    for checkpoint in args.checkpoints:
        model = MODELS.build(cfg.model)
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
        with torch.no_grad():
            outputs = model.eval().test_step(batch)
        predictions.append([o.pred_sem_seg.data[0] for o in outputs])
    rows = []
    images = to_rgb_images(batch['inputs'])
    for i, (image, sample) in enumerate(zip(images, batch['data_samples'])):
        truth = sample.gt_sem_seg.data[0]
        rows.append([image, draw_map(image, 'labels', truth)] + [
            draw_map(image, 'labels', p[i].cpu()) for p in predictions
        ])
    cv2.imwrite(args.out, image_grid(rows)[..., ::-1])
    print(f'wrote {args.out}: one row per test image; columns: input, '
          'ground-truth parts, ' + ', '.join(labels))


if __name__ == '__main__':
    main()

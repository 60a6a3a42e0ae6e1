"""Draw the parts a DetCon/PARTICLE checkpoint discovers over test images.

    python tools/visualize_parts.py CONFIG CHECKPOINT [--num-images 8]
        [--out parts.png] [--cfg-options key=value ...]

One row per image: the input, the part map ``discover_parts`` computes with
the checkpoint (PARTICLE: k-means of the hypercolumns; DetCon: Felzenszwalb
segments) and, when the dataset has them (the synthetic benchmark's
``parts/`` folder), the ground-truth parts.
"""
import argparse
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS
from PIL import Image

import mmfgssl  # noqa: F401
from mmfgssl.models import DetCon
from mmfgssl.visualization import (image_grid, label_overlay,
                                   sample_test_images, to_rgb_images)


def ground_truth_parts(img_path):
    """The synthetic benchmark's part map of an image, if there is one."""
    root, rel = img_path.split(osp.sep + 'images' + osp.sep, 1)
    path = osp.join(root, 'parts', osp.splitext(rel)[0] + '.png')
    return np.asarray(Image.open(path)) if osp.isfile(path) else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--num-images', type=int, default=8)
    parser.add_argument('--out', default='parts.png')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = cfg.model.to_dict()
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    model_cfg['backbone'].pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    if not isinstance(model, DetCon):
        raise SystemExit(f'{args.config} is not a DetCon/PARTICLE config '
                         f'(model type {cfg.model.type})')
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.eval()

    images, paths = sample_test_images(cfg, args.num_images)
    bgr = [img.permute(1, 2, 0).numpy().copy() for img in images]
    rows = []
    for img, parts, path in zip(
            to_rgb_images(images), model.discover_parts(bgr), paths):
        row = [img, label_overlay(img, parts)]
        truth = ground_truth_parts(path)
        if truth is not None:
            row.append(label_overlay(img, truth))
        rows.append(row)
    cv2.imwrite(args.out, image_grid(rows)[..., ::-1])
    print(f'wrote {args.out}: rows = images; columns = input, discovered '
          'parts' + (', ground-truth parts' if len(rows[0]) == 3 else ''))


if __name__ == '__main__':
    main()

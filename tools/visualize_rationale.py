"""Draw LCR's rationale map and the GradCAM it is fitted to over test images.

    python tools/visualize_rationale.py CONFIG CHECKPOINT [--num-images 8]
        [--out rationale.png] [--cfg-options key=value ...]

One row per image: the input, the GradCAM of the InfoNCE loss (the image as
query, its horizontal flip as key, against the checkpoint's queue), and the
rationale map that re-weights pooling at test time.
"""
import argparse

import cv2
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

import mmfgssl  # noqa: F401
from mmfgssl.models import LCR
from mmfgssl.visualization import (heatmap_overlay, image_grid,
                                   sample_test_images, to_rgb_images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--num-images', type=int, default=8)
    parser.add_argument('--out', default='rationale.png')
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
    if not isinstance(model, LCR):
        raise SystemExit(f'{args.config} is not an LCR config '
                         f'(model type {cfg.model.type})')
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.eval()

    images, _ = sample_test_images(cfg, args.num_images)
    inputs = model.preprocess_images(images)
    _, cam, feature_map, _ = model.contrastive_loss_and_cam(
        [inputs, inputs.flip(3)])
    with torch.no_grad():
        rationale = model.rationale_map(feature_map)
    rows = [[
        img, heatmap_overlay(img, c),
        heatmap_overlay(img, r)
    ] for img, c, r in zip(to_rgb_images(images), cam.detach(), rationale)]
    cv2.imwrite(args.out, image_grid(rows)[..., ::-1])
    print(f'wrote {args.out}: rows = images; columns = input, GradCAM of '
          'the InfoNCE loss, rationale map')


if __name__ == '__main__':
    main()

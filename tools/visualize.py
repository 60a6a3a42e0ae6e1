"""Draw what a trained method looks at, over test images.

    python tools/visualize.py CONFIG CHECKPOINT [--num-images 8]
        [--out maps.png] [--cfg-options key=value ...]

One row per image: the input, then every map the method computes
(``visual_maps`` of its algorithm: LCR's GradCAM and rationale map,
DetCon's and PARTICLE's discovered parts, ...) and, when the dataset has
them (the synthetic benchmark's ``parts/`` folder), the ground-truth parts.
The column titles are printed.
"""
import argparse

import cv2
import torch
from mmengine.config import Config, DictAction

import mmfgssl  # noqa: F401
from mmfgssl.visualization import (draw_map, ground_truth_parts, image_grid,
                                   load_trained_model, sample_test_images,
                                   to_rgb_images)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--num-images', type=int, default=8)
    parser.add_argument('--out', default='maps.png')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = load_trained_model(cfg, args.checkpoint)
    images, paths = sample_test_images(cfg, args.num_images)
    maps = model.visual_maps(images)
    titles = ['input'] + [m.title for m in maps]
    rows = []
    for i, (img, path) in enumerate(zip(to_rgb_images(images), paths)):
        row = [img] + [draw_map(img, m.kind, m.values[i]) for m in maps]
        truth = ground_truth_parts(path)
        if truth is not None:
            row.append(draw_map(img, 'labels', torch.as_tensor(truth)))
        rows.append(row)
    if len(rows[0]) > len(titles):
        titles.append('ground-truth parts')
    cv2.imwrite(args.out, image_grid(rows)[..., ::-1])
    print(f'wrote {args.out}: one row per test image; columns: ' +
          ', '.join(titles))


if __name__ == '__main__':
    main()

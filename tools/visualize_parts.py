"""Draw the parts a DetCon/PARTICLE checkpoint discovers over test images.

    python tools/visualize_parts.py CONFIG CHECKPOINT [--num-images 8]
        [--out parts.png] [--cfg-options key=value ...]

One row per image: the input, the part map ``discover_parts`` computes with
the checkpoint (PARTICLE: k-means of the hypercolumns; DetCon: Felzenszwalb
segments) and, when the dataset has them (the synthetic benchmark's
``parts/`` folder), the ground-truth parts.
"""
import os.path as osp

import cv2
import numpy as np
from PIL import Image

import mmfgssl  # noqa: F401
from mmfgssl.models import DetCon
from mmfgssl.visualization import (image_grid, label_overlay,
                                   load_trained_model, sample_test_images,
                                   to_rgb_images, visualization_args)


def ground_truth_parts(img_path):
    """The synthetic benchmark's part map of an image, if there is one."""
    root, rel = img_path.split(osp.sep + 'images' + osp.sep, 1)
    path = osp.join(root, 'parts', osp.splitext(rel)[0] + '.png')
    return np.asarray(Image.open(path)) if osp.isfile(path) else None


def main():
    args = visualization_args(__doc__.split('\n')[0], 'parts.png')
    cfg, model = load_trained_model(args, DetCon)

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

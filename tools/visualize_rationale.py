"""Draw LCR's rationale map and the GradCAM it is fitted to over test images.

    python tools/visualize_rationale.py CONFIG CHECKPOINT [--num-images 8]
        [--out rationale.png] [--cfg-options key=value ...]

One row per image: the input, the GradCAM of the InfoNCE loss (the image as
query, its horizontal flip as key, against the checkpoint's queue), and the
rationale map that re-weights pooling at test time.
"""
import cv2
import torch

import mmfgssl  # noqa: F401
from mmfgssl.models import LCR
from mmfgssl.visualization import (heatmap_overlay, image_grid,
                                   load_trained_model, sample_test_images,
                                   to_rgb_images, visualization_args)


def main():
    args = visualization_args(__doc__.split('\n')[0], 'rationale.png')
    cfg, model = load_trained_model(args, LCR)

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

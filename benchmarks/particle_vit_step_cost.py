"""Cost of PARTICLE-ViT's part loss: training-step time and peak step memory
of PARTICLE-ViT relative to DINO on the same ViT, batch and crops, and the
speed of one round of part discovery next to the ResNet PARTICLE's, in one
run.

    python benchmarks/particle_vit_step_cost.py [--setting synthetic|paper]
        [--batch N] [--repeats 30] [--device cpu|cuda] [--threads N]
        [--no-discovery] [--discovery-images N]

``synthetic``: the configs/*_synthetic.py models (the CPU ViT, 96 px, batch
32). ``paper``: the configs/*_cub.py models (ViT-S/8 at 224 px, head to
65,536 prototypes; batch 8, the code's per-GPU batch). Both models take two
global crops; PARTICLE-ViT's batch carries random part maps of its 6 ids.
The last layer is not frozen (``freeze_last_layer=0``) and gradients are
not clipped in either model (the configs' DINOGradientHook is outside the
step). How steps and memory are measured: benchmarks/step_cost.py.

Discovery: ``discover_parts`` of the synthetic configs of PARTICLE-ViT
(k-means of the CPU ViT's last-layer keys on its 12x12 token grid) and of
PARTICLE (ResNet hypercolumns on a 24x24 grid), over the synthetic training
images in PartMapHook's batches of 32, in images per second (random
weights: the work does not depend on them). The images are those of
data/synthetic_birds, or a generated benchmark when it is absent.
Target (issue): time <= 1.25x.
"""
import os.path as osp
import tempfile
import time

import cv2

from step_cost import (REPO, build, measure, parse_setting, ratios,
                       setting_parser, time_table)

SETTINGS = {
    'synthetic':
    ('configs/dino_synthetic.py', 'configs/particle_vit_synthetic.py', 96, 32),
    'paper': ('configs/dino_cub.py', 'configs/particle_vit_cub.py', 224, 8),
}
DISCOVERY = {
    'PARTICLE-ViT': 'configs/particle_vit_synthetic.py',
    'PARTICLE (ResNet)': 'configs/particle_synthetic.py',
}
NUM_PARTS = 6  # PARTICLE-ViT's part ids
TIME_TARGET = 1.25
OPTIONS = dict(freeze_last_layer=0)


def synthetic_training_images(limit):
    """BGR images of the synthetic benchmark's training split."""
    from mmfgssl.datasets import make_synthetic_birds
    root = osp.join(REPO, 'data', 'synthetic_birds')
    if not osp.isfile(osp.join(root, 'images.txt')):
        root = osp.join(tempfile.mkdtemp(), 'synthetic_birds')
        make_synthetic_birds(root)
    with open(osp.join(root, 'images.txt')) as f:
        paths = dict(line.split() for line in f)
    with open(osp.join(root, 'train_test_split.txt')) as f:
        train = [i for i, flag in (line.split() for line in f) if flag == '1']
    return [
        cv2.imread(osp.join(root, 'images', paths[i])) for i in train[:limit]
    ], root


def discovery_speed(config, images, device, batch=32):
    """Images per second of one round of ``discover_parts``."""
    model, _ = build(config, device)
    model.discover_parts(images[:batch])  # warm-up
    start = time.perf_counter()
    for i in range(0, len(images), batch):
        model.discover_parts(images[i:i + batch])
    return len(images) / (time.perf_counter() - start)


def main():
    parser = setting_parser(__doc__, SETTINGS)
    parser.add_argument(
        '--no-discovery',
        action='store_true',
        help='skip the part-discovery measurement')
    parser.add_argument(
        '--discovery-images',
        type=int,
        help='discover parts of the first N training images (default: all)')
    args, device, (dino_cfg, particle_cfg), size, batch = parse_setting(
        parser, SETTINGS)
    times, memory = measure(
        {
            'DINO': (dino_cfg, OPTIONS, None),
            'PARTICLE-ViT': (particle_cfg, OPTIONS, NUM_PARTS)
        }, batch, size, args)
    print(f'setting={args.setting} batch={batch} crops=2x{size}px '
          f'device={device}')
    print(time_table(times, memory))
    print(f'PARTICLE-ViT / DINO: '
          f'{ratios(times, memory, "PARTICLE-ViT", "DINO")} '
          f'(target: time <= {TIME_TARGET:.2f}x)')
    if args.no_discovery:
        return
    images, root = synthetic_training_images(args.discovery_images)
    print(f'\none round of part discovery on {len(images)} training images '
          f'of {root} ({images[0].shape[1]} px), batches of 32:')
    print('| model | images/s |\n|---|---|')
    for name, config in DISCOVERY.items():
        print(f'| {name} ({config}) | '
              f'{discovery_speed(config, images, args.device):.1f} |')


if __name__ == '__main__':
    main()

"""Where the synthetic ViTs' class token looks: how much of its last-layer
attention falls on the top row of patches, the bottom row and the bird,
with the images upright and flipped upside down, and how many of the
patches LoDisc's selection keeps (product of the layers' class-token
attention, top 10/20/30 %) lie on the bird, for several checkpoints in one
run.

    python benchmarks/vit_attention_location.py CONFIG CHECKPOINT
        [CONFIG CHECKPOINT ...] [--num-images 160]

The ViT read is the one whose attention the method uses: the teacher of
DINO and PARTICLE-ViT, the momentum encoder of MoCo v3 and LoDisc (for a
0-epoch baseline, its online ViT). Images: ``--num-images`` of the test
split spread over it; the bird is the benchmark's exact part label map
(every label but background), a patch counts as on the bird when the bird
covers at least a quarter of it. Attention that stays on the top row when
the image is flipped follows the position, not the content: a sink such
as the high-norm background tokens of Darcet et al. 2024 ("Vision
Transformers Need Registers"), not the zero padding of a convolutional
stem, which treats the top and bottom borders alike.
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config

import mmfgssl  # noqa: F401
from mmfgssl.models.selfsup.lodisc import pivotal_patches
from mmfgssl.models.utils.vit import (AttentionRecorder, fuse_attention,
                                      patch_grid)
from mmfgssl.visualization import (ground_truth_parts, load_trained_model,
                                   sample_test_images)

KEEP_RATIOS = (0.1, 0.2, 0.3)
ON_BIRD = 0.25  # fraction of a patch the bird must cover


def attention_vit(model):
    """The ViT whose class-token attention the method reads: the EMA
    teacher's or momentum encoder's, or the online one while the EMA has
    not been updated (a 0-epoch baseline: its first update copies the
    online weights)."""
    if hasattr(model, 'teacher'):
        ema, vit = model.teacher, model.teacher.module['backbone']
    elif hasattr(model, 'momentum_encoder'):
        ema, vit = model.momentum_encoder, model.momentum_encoder.module[0]
    else:
        return model.backbone
    return vit if int(ema.steps) > 0 else model.backbone


def bird_masks(paths, size):
    """``(N, 1, H, W)`` float: 1 where the part label map is not
    background."""
    masks = []
    for path in paths:
        parts = ground_truth_parts(path)
        if parts is None:
            raise SystemExit(f'{path} has no part label map (parts/ beside '
                             'images/, as the synthetic benchmark writes)')
        if parts.shape != tuple(size):
            raise SystemExit(f'{path}: part map {parts.shape} does not match '
                             f'the test pipeline\'s images {size}')
        masks.append(parts > 0)
    return torch.from_numpy(np.stack(masks)).float()[:, None]


@torch.no_grad()
def attention_location(model, images, birds):
    """Mean shares of the last layer's class-token attention (top row,
    bottom row, bird) and of the kept patches on the bird."""
    vit = attention_vit(model)
    inputs = model.preprocess_images(images)
    with AttentionRecorder(vit) as recorder:
        vit(inputs)
    grid = patch_grid(vit, inputs)
    last = recorder.records[-1][:, vit.num_extra_tokens:]
    last = (last / last.sum(1, keepdim=True)).view(-1, *grid)
    coverage = F.adaptive_avg_pool2d(birds, grid).flatten(1)
    on_bird = coverage >= ON_BIRD
    scores = fuse_attention(recorder.records, 'product')
    kept_on_bird = [
        on_bird.gather(1, pivotal_patches(scores, ratio)).float().mean().item()
        for ratio in KEEP_RATIOS
    ]
    return dict(
        top=last[:, 0].sum(1).mean().item(),
        bottom=last[:, -1].sum(1).mean().item(),
        bird=(last.flatten(1) * coverage).sum(1).mean().item(),
        bird_area=coverage.mean().item(),
        patches_on_bird=on_bird.float().mean().item(),
        kept_on_bird=kept_on_bird)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'runs', nargs='+', metavar='CONFIG CHECKPOINT', help='pairs')
    parser.add_argument('--num-images', type=int, default=160)
    args = parser.parse_args()
    if len(args.runs) % 2:
        parser.error('give CONFIG CHECKPOINT pairs')
    kept = ' | '.join(f'kept on bird, top {r:.0%}' for r in KEEP_RATIOS)
    print(f'| checkpoint | images | last layer: top row | bottom row | '
          f'bird (bird area) | {kept} (patches on bird) |')
    print('|---|---|---|---|---|' + '---|' * len(KEEP_RATIOS))
    for config, checkpoint in zip(args.runs[::2], args.runs[1::2]):
        cfg = Config.fromfile(config)
        model = load_trained_model(cfg, checkpoint)
        images, paths = sample_test_images(cfg, args.num_images)
        birds = bird_masks(paths, images.shape[-2:])
        for name, flip in (('upright', False), ('upside down', True)):
            m = attention_location(
                model, images.flip(2) if flip else images,
                birds.flip(2) if flip else birds)
            kept = ' | '.join(f'{100 * k:.0f}' for k in m['kept_on_bird'])
            print(f'| {checkpoint} | {name} | {100 * m["top"]:.0f} | '
                  f'{100 * m["bottom"]:.0f} | {100 * m["bird"]:.0f} '
                  f'({100 * m["bird_area"]:.0f}) | {kept} '
                  f'({100 * m["patches_on_bird"]:.0f}) |', flush=True)
    print(f'\nShares in %; a uniform attention puts '
          f'{100 / patch_grid(attention_vit(model), images)[0]:.1f} on a '
          'row.')


if __name__ == '__main__':
    main()

"""What bfloat16 autocast (``BFloat16OptimWrapper``) saves on a training step
of the synthetic benchmark's CPU models: step time in bfloat16 relative to
float32, same model, weights, batch and input, in one run.

    python benchmarks/bf16_step_cost.py [--models NAME ...] [--batch N]
        [--repeats 30] [--device cpu|cuda] [--threads N]

Models: the supervised pre-training of the generic initialisations
(configs/generic_init/*.py, batch 64: what ``tools/make_generic_init.py``
runs) and MoCo v2 / MoCo v3 of the synthetic configs (batch 32: the
self-supervised methods' step, which run in float32 by default). A step is
the Runner's ``train_step`` for the classifiers and
``benchmarks/step_cost.py``'s step for the self-supervised models, under the
optimiser wrapper's context in both. The loss of the first step is printed
for both precisions (same weights, same batch); the losses differ by well
under 0.1 %. The speed-up needs a
CPU with bfloat16 instructions (AVX512-BF16 or AMX); without them bfloat16
can be slower than float32.
"""
import argparse
import statistics

import torch
from mmpretrain.structures import DataSample

from step_cost import (add_measurement_args, apply_measurement_args, build,
                       make_step, step_times)

# name: (config, batch, number of classes for a classifier, else None)
MODELS = {
    'generic ResNet': ('configs/generic_init/resnet18_cpu.py', 64, 172),
    'generic ViT': ('configs/generic_init/vit_cpu.py', 64, 172),
    'MoCo v2': ('configs/mocov2_synthetic.py', 32, None),
    'MoCo v3': ('configs/mocov3_synthetic.py', 32, None),
}
SIZE = 96


def classifier_step(model, optim_wrapper, batch, num_classes):
    """The Runner's training iteration of a classifier on a fixed batch; it
    returns the loss."""
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, SIZE, SIZE), generator=gen,
                          dtype=torch.uint8) for _ in range(batch)
        ],
        data_samples=[
            DataSample().set_gt_label(int(c))
            for c in torch.randint(0, num_classes, (batch, ), generator=gen)
        ])

    def step():
        return model.train_step(data, optim_wrapper)['loss'].item()

    return step


def selfsup_step(model, optim_wrapper, batch):
    """benchmarks/step_cost.py's step; it returns the loss."""
    step = make_step(model, optim_wrapper, batch, SIZE,
                     next(model.parameters()).device.type)
    return lambda: step().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--models', nargs='+', choices=MODELS, default=list(MODELS))
    add_measurement_args(parser)
    args = parser.parse_args()
    device = apply_measurement_args(args)
    steps, first_loss = {}, {}
    for name in args.models:
        config, batch, num_classes = MODELS[name]
        batch = args.batch or batch
        for precision, wrapper in (('float32', 'OptimWrapper'),
                                   ('bfloat16', 'BFloat16OptimWrapper')):
            model, optim_wrapper = build(
                config, args.device, optim_wrapper_type=wrapper)
            step = (
                classifier_step(model, optim_wrapper, batch, num_classes)
                if num_classes else selfsup_step(model, optim_wrapper, batch))
            first_loss[name, precision] = step()
            steps[name, precision] = step
    times = step_times(steps, args.repeats)

    print(f'input={SIZE}px device={device} repeats={args.repeats}')
    print('| model | batch | float32 step (s, median) | bfloat16 step (s, '
          'median) | bfloat16 / float32 (median) | (min) | first loss '
          'float32 / bfloat16 |')
    print('|---|---|---|---|---|---|---|')
    for name in args.models:
        fp32, bf16 = times[name, 'float32'], times[name, 'bfloat16']
        print(f'| {name} | {args.batch or MODELS[name][1]} '
              f'| {statistics.median(fp32):.4f} '
              f'| {statistics.median(bf16):.4f} '
              f'| {statistics.median(bf16) / statistics.median(fp32):.3f}x '
              f'| {min(bf16) / min(fp32):.3f}x '
              f'| {first_loss[name, "float32"]:.4f} / '
              f'{first_loss[name, "bfloat16"]:.4f} |')


if __name__ == '__main__':
    main()

"""Cost of SynthPairs' decoder and synthesized pairs: training-step time and
peak step memory of SynthPairs relative to MoCo v2 on the same backbone,
batch and input, in one run, during the decoder's warm-up (``L_C + L_R``)
and after it (``L_Cp`` on: two decodings and the pair through both
encoders at the decoder's resolution).

    python benchmarks/synthpairs_step_cost.py [--setting synthetic|paper]
        [--batch N] [--repeats 30] [--device cpu|cuda] [--threads N]

``synthetic``: the configs/*_synthetic.py models (half-width ResNet-18,
96 px, decodings at 48 px, batch 32). ``paper``: the configs/*_cub.py models
(ResNet-50, 224 px, decodings at 112 px, queue 65536; batch 128 as in LCR,
or --batch on a CPU). How steps and memory are measured:
benchmarks/step_cost.py. Targets (issue): time <= 1.5x, peak memory <= 1.3x,
both before and after the warm-up.
"""
from step_cost import (measure, parse_setting, ratios, setting_parser,
                       time_table)

SETTINGS = {
    'synthetic':
    ('configs/mocov2_synthetic.py', 'configs/synthpairs_synthetic.py', 96, 32),
    'paper': ('configs/mocov2_cub.py', 'configs/synthpairs_cub.py', 224, 128),
}
TIME_TARGET, MEMORY_TARGET = 1.5, 1.3


def main():
    args, device, (moco_cfg, synth_cfg), size, batch = parse_setting(
        setting_parser(__doc__, SETTINGS), SETTINGS)
    # the step runs in epoch 0 (step_cost.build): a warm-up longer than that
    # leaves L_Cp off, 0 turns it on
    variants = {
        'MoCo v2': (moco_cfg, None, None),
        'SynthPairs (warm-up)': (synth_cfg, dict(pair_warmup_epochs=1), None),
        'SynthPairs (pairs on)': (synth_cfg, dict(pair_warmup_epochs=0), None),
    }
    times, memory = measure(variants, batch, size, args)

    print(f'setting={args.setting} batch={batch} input={size}px '
          f'device={device}')
    print(time_table(times, memory))
    for name in list(variants)[1:]:
        print(f'{name} / MoCo v2: {ratios(times, memory, name, "MoCo v2")} '
              f'(targets: time <= {TIME_TARGET:.2f}x, memory <= '
              f'{MEMORY_TARGET:.2f}x)')


if __name__ == '__main__':
    main()

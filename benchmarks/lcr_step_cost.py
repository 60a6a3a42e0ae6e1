"""Cost of LCR's rationale branch: training-step time and peak step memory of
LCR relative to MoCo v2 on the same backbone, batch and input, in one run.

    python benchmarks/lcr_step_cost.py [--setting synthetic|paper]
        [--batch N] [--repeats 30] [--device cpu|cuda] [--threads N]

``synthetic``: the configs/*_synthetic.py models (half-width ResNet-18,
96 px, batch 32). ``paper``: the configs/*_cub.py models (ResNet-50, 224 px,
queue 65536; batch 128 as in the paper, or --batch on a CPU). How steps and
memory are measured: benchmarks/step_cost.py.
Target (issue): LCR / MoCo v2 <= 1.15 for both.
"""
from step_cost import (measure, parse_setting, ratios, setting_parser,
                       time_table)

SETTINGS = {
    'synthetic':
    ('configs/mocov2_synthetic.py', 'configs/rationale_synthetic.py', 96, 32),
    'paper': ('configs/mocov2_cub.py', 'configs/rationale_cub.py', 224, 128),
}


def main():
    args, device, (moco_cfg, lcr_cfg), size, batch = parse_setting(
        setting_parser(__doc__, SETTINGS), SETTINGS)
    times, memory = measure(
        {
            'MoCo v2': (moco_cfg, None, None),
            'LCR': (lcr_cfg, None, None)
        }, batch, size, args)

    print(f'setting={args.setting} batch={batch} input={size}px '
          f'device={device}')
    print(time_table(times, memory))
    print(f'LCR / MoCo v2: {ratios(times, memory, "LCR", "MoCo v2")} '
          '(target <= 1.15x)')


if __name__ == '__main__':
    main()

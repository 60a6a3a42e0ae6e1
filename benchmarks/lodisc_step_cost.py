"""Cost of LoDisc's local branch: training-step time and peak step memory of
LoDisc (masked pixels zeroed, as the code, and masked tokens dropped)
relative to MoCo v3 on the same ViT, batch and input, in one run.

    python benchmarks/lodisc_step_cost.py [--setting synthetic|paper]
        [--batch N] [--repeats 30] [--device cpu|cuda] [--threads N]

``synthetic``: the configs/*_synthetic.py models (the CPU ViT, 96 px,
batch 32). ``paper``: the configs/*_cub.py models (ViT-B/16, 224 px; batch
32 as the LoDisc code, or --batch on a CPU). Both models update the EMA as
configured (the LoDisc code's four updates per step, applied as one). How
steps and memory are measured: benchmarks/step_cost.py.
Targets (issue): time <= 1.30x ('zero') and <= 1.15x ('drop'), peak memory
<= 1.10x. The official code costs about 1.75x (8 encoder passes and 4 EMA
updates per step).
"""
from step_cost import (measure, parse_setting, ratios, setting_parser,
                       time_table)

SETTINGS = {
    'synthetic':
    ('configs/mocov3_synthetic.py', 'configs/lodisc_synthetic.py', 96, 32),
    'paper': ('configs/mocov3_cub.py', 'configs/lodisc_cub.py', 224, 32),
}
TIME_TARGETS = {'zero': 1.30, 'drop': 1.15}
MEMORY_TARGET = 1.10


def main():
    args, device, (mocov3_cfg, lodisc_cfg), size, batch = parse_setting(
        setting_parser(__doc__, SETTINGS), SETTINGS)
    variants = {'MoCo v3': (mocov3_cfg, None, None)}
    for mode in TIME_TARGETS:
        variants[f'LoDisc {mode}'] = (lodisc_cfg, dict(mask_mode=mode), None)
    times, memory = measure(variants, batch, size, args)

    print(f'setting={args.setting} batch={batch} input={size}px '
          f'device={device}')
    print(time_table(times, memory))
    for mode, target in TIME_TARGETS.items():
        print(f'LoDisc {mode} / MoCo v3: '
              f'{ratios(times, memory, f"LoDisc {mode}", "MoCo v3")} '
              f'(targets: time <= {target:.2f}x, memory <= '
              f'{MEMORY_TARGET:.2f}x)')


if __name__ == '__main__':
    main()

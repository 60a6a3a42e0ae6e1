"""Cost of LCR's rationale branch: training-step time and peak step memory of
LCR relative to MoCo v2 on the same backbone, batch and input, in one run.

    python benchmarks/lcr_step_cost.py [--setting synthetic|paper]
        [--batch N] [--steps 10] [--rounds 3] [--device cpu|cuda]

``synthetic``: the configs/*_synthetic.py models (half-width ResNet-18,
96 px, batch 32). ``paper``: the configs/*_cub.py models (ResNet-50, 224 px,
queue 65536; batch 128 as in the paper, or --batch on a CPU). A step is a
full training iteration: forward, loss, backward and the SGD update. Timing
alternates between the two models over several rounds and reports medians;
peak memory is measured for each model in its own process (CUDA: peak
allocated; CPU: growth of the peak resident set during one step, with
glibc's mmap threshold fixed at 64 KiB so that freed tensors leave the
resident set and the peak tracks live tensor memory).
Target (issue): LCR / MoCo v2 <= 1.15 for both.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

import mmfgssl  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SETTINGS = {
    'synthetic':
    ('configs/mocov2_synthetic.py', 'configs/rationale_synthetic.py', 96, 32),
    'paper': ('configs/mocov2_cub.py', 'configs/rationale_cub.py', 224, 128),
}


def build(config, device):
    cfg = Config.fromfile(osp.join(REPO, config))
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone'].pop('init_cfg', None)  # no weight download
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    model = MODELS.build(model_cfg).to(device).train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    return model, optimizer


def make_step(model, optimizer, batch, size, device):
    gen = torch.Generator().manual_seed(0)
    views = [
        torch.randint(
            0, 256, (batch, 3, size, size), generator=gen, dtype=torch.uint8)
        for _ in range(2)
    ]
    data = model.data_preprocessor(dict(inputs=views, data_samples=None), True)
    inputs = [v.to(device) for v in data['inputs']]

    def step():
        losses = model(inputs, None, mode='loss')
        total = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        if device == 'cuda':
            torch.cuda.synchronize()

    return step


def _rss_kb(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def peak_step_memory_mb(config, setting, batch, device):
    """Run in a child process: peak memory of one training step."""
    _, _, size, _ = SETTINGS[setting]
    model, optimizer = build(config, device)
    step = make_step(model, optimizer, batch, size, device)
    step()  # allocate optimizer state and caches
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        step()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset the peak resident set size (Linux)
    base = _rss_kb('VmRSS:')
    step()
    return (_rss_kb('VmHWM:') - base) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--setting', choices=SETTINGS, default='synthetic')
    parser.add_argument('--batch', type=int)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--memory-child', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    moco_cfg, lcr_cfg, size, default_batch = SETTINGS[args.setting]
    batch = args.batch or default_batch

    if args.memory_child:
        config, setting = args.memory_child
        print(
            json.dumps(
                peak_step_memory_mb(config, setting, batch, args.device)))
        return

    torch.manual_seed(0)
    models = {
        name: build(cfg, args.device)
        for name, cfg in (('MoCo v2', moco_cfg), ('LCR', lcr_cfg))
    }
    steps = {
        name: make_step(m, o, batch, size, args.device)
        for name, (m, o) in models.items()
    }
    for step in steps.values():  # warm-up
        step()
        step()
    times = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            times[name].append((time.perf_counter() - start) / args.steps)
    del models, steps

    memory = {}
    for name, cfg in (('MoCo v2', moco_cfg), ('LCR', lcr_cfg)):
        out = subprocess.run([
            sys.executable, __file__, '--setting', args.setting, '--batch',
            str(batch), '--device', args.device, '--memory-child', cfg,
            args.setting
        ],
                             check=True,
                             stdout=subprocess.PIPE,
                             text=True,
                             env=dict(
                                 os.environ,
                                 MALLOC_MMAP_THRESHOLD_='65536')).stdout
        memory[name] = json.loads(out.strip().splitlines()[-1])

    device = (
        torch.cuda.get_device_name() if args.device == 'cuda' else
        f'CPU, {torch.get_num_threads()} threads')
    print(f'setting={args.setting} batch={batch} input={size}px '
          f'device={device}')
    print('| model | step time (s, median) | peak step memory (MiB) |')
    print('|---|---|---|')
    for name in times:
        print(f'| {name} | {statistics.median(times[name]):.4f} | '
              f'{memory[name]:.1f} |')
    t_ratio = statistics.median(times['LCR']) / statistics.median(
        times['MoCo v2'])
    m_ratio = memory['LCR'] / memory['MoCo v2']
    print(f'LCR / MoCo v2: step time {t_ratio:.3f}x, peak memory '
          f'{m_ratio:.3f}x (target <= 1.15x)')


if __name__ == '__main__':
    main()

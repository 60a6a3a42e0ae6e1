"""Training-step time and peak step memory of configs' models, measured side
by side: the shared part of ``benchmarks/*_step_cost.py``.

A step is a full training iteration on a fixed random batch: forward, loss,
backward and the config's optimiser update. :func:`step_times`
alternates between the models step by step (background load hits all
alike); medians and minima are reported.
:func:`peak_step_memory_mb` measures each model in a fresh process of its
own (CUDA: peak allocated memory; CPU: growth of the peak resident set
during one step, with glibc's mmap threshold fixed at 64 KiB so that freed
tensors leave the resident set and the peak tracks live tensor memory).

Run as a script, this file is that child process.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmfgssl  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def build(config: str,
          device: str,
          model_options: Optional[dict] = None,
          max_iters: int = 1000,
          optim_wrapper_type: Optional[str] = None):
    """The config's model (without downloading weights; ``model_options``
    replace top-level model arguments) in training mode, and its optimiser
    wrapper (of type ``optim_wrapper_type`` instead of the config's, if
    given)."""
    cfg = Config.fromfile(osp.join(REPO, config))
    model_cfg = dict(cfg.model.to_dict(), **(model_options or {}))
    model_cfg['backbone'].pop('init_cfg', None)  # no weight download
    model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
    # cosine momentum schedules read the run length from the message hub,
    # warm-ups the epoch (the first)
    MessageHub.get_current_instance().update_info('max_iters', max_iters)
    MessageHub.get_current_instance().update_info('epoch', 0)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).to(device).train()
    optim_cfg = cfg.optim_wrapper.to_dict()
    if optim_wrapper_type:
        optim_cfg['type'] = optim_wrapper_type
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return model, build_optim_wrapper(model, optim_cfg)


def make_step(model,
              optim_wrapper,
              batch: int,
              size: int,
              device: str,
              num_parts: Optional[int] = None) -> Callable[[], None]:
    """One training iteration of ``model`` on a fixed batch of two views
    (with random part maps of ids below ``num_parts``, for part methods);
    the step returns its loss."""
    gen = torch.Generator().manual_seed(0)
    views = [
        torch.randint(
            0, 256, (batch, 3, size, size), generator=gen, dtype=torch.uint8)
        for _ in range(2)
    ]
    samples = None
    if num_parts is not None:
        samples = [DataSample() for _ in range(batch)]
        for sample in samples:
            sample.set_field(
                torch.randint(0, num_parts, (2, size, size),
                              generator=gen).numpy(), 'part_masks')
    data = model.data_preprocessor(
        dict(inputs=views, data_samples=samples), True)
    inputs = [v.to(device) for v in data['inputs']]

    def step():
        # the wrapper's context around the forward pass, as in the Runner's
        # train_step (autocast of BFloat16OptimWrapper)
        with optim_wrapper.optim_context(model):
            losses = model(inputs, data['data_samples'], mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optim_wrapper.update_params(loss)
        if device == 'cuda':
            torch.cuda.synchronize()
        return loss

    return step


def step_times(steps: Dict[str, Callable[[], None]],
               repeats: int) -> Dict[str, List[float]]:
    """Times (seconds) of each model's steps over ``repeats`` rounds in which
    every model takes one step, in an order rotated each round, so that a
    change of background load hits all models alike; two warm-up steps each
    first."""
    for step in steps.values():
        step()
        step()
    names = list(steps)
    times: Dict[str, List[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - start)
    return times


def measure(
    variants: Dict[str, Tuple[str, Optional[dict], Optional[int]]], batch: int,
    size: int, args: argparse.Namespace
) -> Tuple[Dict[str, List[float]], Dict[str, float]]:
    """Step times (:func:`step_times`, ``args.repeats`` rounds) and peak step
    memory (:func:`peak_step_memory_mb`) on ``args.device`` of each variant,
    ``name: (config, model options, part ids or None)``."""
    steps = {
        name:
        make_step(*build(cfg, args.device, options), batch, size, args.device,
                  parts)
        for name, (cfg, options, parts) in variants.items()
    }
    times = step_times(steps, args.repeats)
    del steps
    memory = {
        name: peak_step_memory_mb(cfg, batch, size, args.device, options,
                                  parts)
        for name, (cfg, options, parts) in variants.items()
    }
    return times, memory


def time_table(times: Dict[str, List[float]], memory: Dict[str, float]) -> str:
    """Markdown table of median and minimum step times and peak memory."""
    lines = [
        '| model | step time (s, median) | (min) | peak step memory (MiB) |',
        '|---|---|---|---|'
    ]
    for name, t in times.items():
        lines.append(f'| {name} | {statistics.median(t):.4f} | {min(t):.4f} '
                     f'| {memory[name]:.1f} |')
    return '\n'.join(lines)


def ratios(times: Dict[str, List[float]], memory: Dict[str, float], name: str,
           reference: str) -> str:
    """``name / reference``: median step time (minimum in brackets) and
    peak memory."""
    median = statistics.median(times[name]) / statistics.median(
        times[reference])
    fastest = min(times[name]) / min(times[reference])
    return (f'step time {median:.3f}x (min {fastest:.3f}x), peak memory '
            f'{memory[name] / memory[reference]:.3f}x')


def _rss_kb(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def measure_peak_step_memory_mb(config: str,
                                model_options: Optional[dict],
                                batch: int,
                                size: int,
                                device: str,
                                num_parts: Optional[int] = None) -> float:
    """In this process: peak memory of one training step (MiB)."""
    model, optim_wrapper = build(config, device, model_options)
    step = make_step(model, optim_wrapper, batch, size, device, num_parts)
    step()  # allocate optimiser state and caches
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


def peak_step_memory_mb(config: str,
                        batch: int,
                        size: int,
                        device: str,
                        model_options: Optional[dict] = None,
                        num_parts: Optional[int] = None) -> float:
    """Peak memory of one training step (MiB), measured in a fresh process."""
    spec = dict(
        config=config,
        model_options=model_options,
        batch=batch,
        size=size,
        device=device,
        num_parts=num_parts)
    out = subprocess.run(
        [sys.executable, __file__, json.dumps(spec)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')).stdout
    return json.loads(out.strip().splitlines()[-1])


def add_measurement_args(parser: argparse.ArgumentParser) -> None:
    """The options every ``*_step_cost.py`` takes."""
    parser.add_argument(
        '--batch', type=int, help='batch size (default: the setting\'s)')
    parser.add_argument(
        '--repeats', type=int, default=30, help='timed steps per model')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--threads',
        type=int,
        help='CPU threads of torch (one thread is far less disturbed by '
        'other jobs on a shared machine)')


def apply_measurement_args(args: argparse.Namespace) -> str:
    """Set the thread count; return a line naming the device."""
    if args.threads:
        torch.set_num_threads(args.threads)
    return (torch.cuda.get_device_name() if args.device == 'cuda' else
            f'CPU, {torch.get_num_threads()} threads')


def setting_parser(doc: str, settings: dict) -> argparse.ArgumentParser:
    """The parser of a ``*_step_cost.py``: its docstring's first line and the
    ``--setting`` choice (a script adds its own options after it)."""
    parser = argparse.ArgumentParser(description=doc.split('\n')[0])
    parser.add_argument('--setting', choices=settings, default='synthetic')
    return parser


def parse_setting(parser: argparse.ArgumentParser, settings: dict):
    """Add the measurement options, parse and apply them; return the
    arguments, the device line, the setting's configs, its input size and
    the batch (``--batch``, or the setting's). ``settings`` maps a name to
    ``(config, ..., input size, batch)``."""
    add_measurement_args(parser)
    args = parser.parse_args()
    device = apply_measurement_args(args)
    *configs, size, default_batch = settings[args.setting]
    return args, device, configs, size, args.batch or default_batch


if __name__ == '__main__':
    parser = argparse.ArgumentParser(
        description='peak step memory of one model (child process)')
    parser.add_argument(
        'spec',
        help='JSON: config, model_options, batch, '
        'size, device, num_parts')
    spec = json.loads(parser.parse_args().spec)
    print(json.dumps(measure_peak_step_memory_mb(**spec)))

"""Command-line plumbing shared by ``tools/train.py`` and ``tools/test.py``.

The argument surface is mmpretrain's: ``--work-dir``, ``--cfg-options``,
``--launcher``, ``--local-rank``; the tools add their own flags on top.
"""
import argparse
import gc
import os
import os.path as osp
import subprocess
import sys
from typing import Callable, Dict, Optional, Sequence, TypeVar

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS, init_default_scope
from mmengine.runner import Runner

from ..datasets import check_dataset_roots
from .progress import ProgressLine

T = TypeVar('T')

TOOLS_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. key=value or a.b=[1,2]')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (tools/dist_*.sh and tools/slurm_*.sh set it)')
    # torch.distributed.launch passes --local_rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='do not pin dataloader memory')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='do not keep dataloader workers alive between epochs')


def load_config_from_args(args: argparse.Namespace) -> Config:
    """Read ``args.config``, apply the common arguments, check data roots."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader is None:
            continue
        loader.setdefault('pin_memory',
                          torch.cuda.is_available() and not args.no_pin_memory)
        # torch refuses persistent workers without worker processes.
        loader['persistent_workers'] = (
            loader.get('persistent_workers', True)
            and not args.no_persistent_workers
            and loader.get('num_workers', 0) > 0)
        if cfg.get('default_scope') == 'mmpretrain':
            # mmpretrain's convention; mmseg configs keep pseudo_collate.
            loader.setdefault('collate_fn', dict(type='default_collate'))
    check_dataset_roots(cfg, args.config)
    # the runner type (FGRunner) is looked up in the config's scope
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return cfg


def run_runner(cfg: Config, action: Callable[[Runner], T]) -> T:
    """Build the config's runner (``runner_type``, else mmengine's), return
    ``action(runner)``, then destroy the process group it started and free
    the runner before the interpreter exits.

    Why both: under torch 2.14 a gloo group still referenced by a DDP
    wrapper at interpreter exit aborts the process after the work is done
    ("terminate called without an active exception"): 8 of 71 two-process
    runs of a 3-step DDP script on 2 busy cores; with the wrapper freed after
    ``destroy_process_group``, 0 of 70. The caller never holds the runner, so
    nothing keeps the wrapper alive past this function."""
    # mmengine serialises every data set it builds after a full
    # gc.collect(), which scans all objects of the imported libraries (0.2 s
    # on a 2-core CPU, several builds a run): keep those out of its view.
    gc.freeze()
    runner = (
        RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg))
    try:
        return action(runner)
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
        del runner
        gc.collect()


def run_tool(args: Sequence[str],
             log_path: str,
             progress: Optional[ProgressLine] = None,
             env: Optional[Dict[str, str]] = None) -> None:
    """Run ``python tools/<args[0]> <args[1:]>`` with this interpreter (and
    ``env`` added to the environment), writing its output to ``log_path``
    and, if given, its progress to ``progress``; stop with the log's tail
    and path on failure."""
    cmd = [sys.executable, osp.join(TOOLS_DIR, args[0]), *args[1:]]
    with open(log_path, 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n')
        log.flush()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env={
                **os.environ, 'PYTHONUNBUFFERED': '1',
                **(env or {})
            })
        for line in proc.stdout:
            log.write(line)
            if progress is not None:
                progress.update(line)
        returncode = proc.wait()
    if progress is not None:
        progress.close('done' if returncode == 0 else 'FAILED')
    if returncode != 0:
        with open(log_path) as log:
            tail = log.read()[-4000:]
        raise SystemExit(f'{args[0]} failed (exit {returncode}); the end of '
                         f'its log ({log_path}):\n{tail}\n'
                         f'(full log: {log_path})')


def format_metrics_table(metrics: Dict[str, float], title: str = '') -> str:
    """A two-column markdown table of ``metrics``."""
    width = max([len('metric')] + [len(k) for k in metrics])
    lines = [f'### {title}'] if title else []
    lines += [
        f'| {"metric":<{width}} | value  |', f'|{"-" * (width + 2)}|--------|'
    ]
    for key, value in metrics.items():
        shown = f'{value:6.2f}' if isinstance(value, (int, float)) else value
        lines.append(f'| {key:<{width}} | {shown} |')
    return '\n'.join(lines)

"""Train any mmfgssl config: self-supervised pre-training, linear probes and
part-segmentation configs alike.

    python tools/train.py configs/mocov2_synthetic.py [--work-dir DIR]
        [--resume [CHECKPOINT]] [--amp] [--auto-scale-lr] [--no-validate]
        [--cfg-options key=value ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse

import torch

import mmfgssl  # noqa: F401  (compatibility fixes and registration)
from mmfgssl.engine.precision import bfloat16_is_fast
from mmfgssl.utils import add_common_args, run_runner, load_config_from_args


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CHECKPOINT, or without a value from the latest '
        'checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: float16 with loss scaling on a GPU, bfloat16 '
        'on a CPU with bfloat16 instructions')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip online evaluation during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr linearly with the total batch size')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config_from_args(args)
    if args.amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        elif bfloat16_is_fast('cpu'):
            # mmengine's AmpOptimWrapper does not run on a CPU
            cfg.optim_wrapper.type = 'mmpretrain.BFloat16OptimWrapper'
        else:
            raise SystemExit(
                '--amp needs a GPU or a CPU with bfloat16 instructions '
                '(AVX512-BF16, AMX); this CPU has neither')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise SystemExit(f'{args.config} has no auto_scale_lr.'
                             'base_batch_size; --auto-scale-lr needs it')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None

    run_runner(cfg, lambda runner: runner.train())


if __name__ == '__main__':
    main()

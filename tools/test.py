"""Evaluate a checkpoint with the config's test loop and print the metrics.

For a self-supervised config this runs the shared protocols on the test split
(leave-one-out retrieval Rank-1/Rank-5/mAP and weighted kNN against the
training split); for a linear probe, top-1/top-5 accuracy.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.json]
        [--cfg-options key=value ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import json
import os.path as osp

from mmengine.dist import is_main_process

import mmfgssl  # noqa: F401  (compatibility fixes and registration)
from mmfgssl.utils import (add_common_args, format_metrics_table,
                           load_config_from_args, run_runner)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist')
    cfg = load_config_from_args(args)
    cfg.load_from = args.checkpoint
    # asked inside: once the process group is gone every process is rank 0
    metrics, main_process = run_runner(
        cfg, lambda runner: (runner.test(), is_main_process()))
    if main_process:
        title = f'{osp.basename(args.config)} @ {args.checkpoint}'
        print(format_metrics_table(metrics, title))
        if args.out:
            with open(args.out, 'w') as f:
                json.dump({k: float(v)
                           for k, v in metrics.items()},
                          f,
                          indent=2)


if __name__ == '__main__':
    main()

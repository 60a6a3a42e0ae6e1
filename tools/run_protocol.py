"""Pre-train one or more configs and evaluate each with the shared protocols,
printing one results table.

    python tools/run_protocol.py configs/mocov2_synthetic.py [CONFIG ...]
        --linear configs/linear_probe/synthetic.py
        [--checkpoint best|last] [--work-root work_dirs] [--skip-existing]

For every pre-training config this runs, through the real tools:
  1. tools/train.py CONFIG                    (online retrieval/kNN on the
                                               validation split)
  2. tools/test.py CONFIG CKPT                (test split: leave-one-out
                                               retrieval Rank-1/5, mAP, kNN)
  3. tools/train.py LINEAR                    (linear probe on the frozen
     --cfg-options model.backbone.checkpoint=CKPT   test-time representation)
CKPT is the checkpoint selected on the validation split (``best``, the
default) or the last one. The table is printed and written to
``<work-root>/protocol_results.md``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import time

from mmfgssl.utils import run_tool

COLUMNS = [('retrieval/Rank-1', 'Rank-1'), ('retrieval/Rank-5', 'Rank-5'),
           ('retrieval/mAP', 'mAP'), ('knn/top1', 'kNN top-1'),
           ('accuracy/top1', 'linear top-1')]


def select_checkpoint(work_dir, which):
    if which == 'best':
        found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')))
        if found:
            return found[-1]
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def evaluate(config, linear, work_root, which, skip_existing):
    name = osp.splitext(osp.basename(config))[0]
    work_dir = osp.join(work_root, name)
    result_file = osp.join(work_dir, 'protocol.json')
    if skip_existing and osp.isfile(result_file):
        with open(result_file) as f:
            return json.load(f)
    start = time.time()
    run_tool(['train.py', config, '--work-dir', work_dir],
             osp.join(work_root, f'{name}.train.log'))
    pretrain_minutes = (time.time() - start) / 60
    ckpt = select_checkpoint(work_dir, which)
    metrics_file = osp.join(work_dir, 'test_metrics.json')
    run_tool([
        'test.py', config, ckpt, '--work-dir', work_dir, '--out', metrics_file
    ], osp.join(work_root, f'{name}.test.log'))
    with open(metrics_file) as f:
        metrics = json.load(f)
    if linear:
        linear_dir = osp.join(work_root, f'{name}_linear')
        run_tool([
            'train.py', linear, '--work-dir', linear_dir, '--cfg-options',
            f'model.backbone.checkpoint={ckpt}'
        ], osp.join(work_root, f'{name}.linear.log'))
        linear_file = osp.join(linear_dir, 'test_metrics.json')
        run_tool([
            'test.py', linear,
            select_checkpoint(linear_dir,
                              'last'), '--work-dir', linear_dir, '--out',
            linear_file, '--cfg-options', f'model.backbone.checkpoint={ckpt}'
        ], osp.join(work_root, f'{name}.linear_test.log'))
        with open(linear_file) as f:
            metrics.update(json.load(f))
    metrics.update(
        checkpoint=osp.basename(ckpt), pretrain_minutes=pretrain_minutes)
    with open(result_file, 'w') as f:
        json.dump(metrics, f, indent=2)
    return metrics


def results_table(results):
    header = ['config'] + [title for _, title in COLUMNS
                           ] + ['checkpoint', 'pre-train min']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for name, m in results.items():
        cells = [name] + [
            f'{m[key]:.1f}' if key in m else '-' for key, _ in COLUMNS
        ] + [m['checkpoint'], f'{m["pretrain_minutes"]:.1f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='pre-training configs')
    parser.add_argument('--linear', help='linear-probe config')
    parser.add_argument(
        '--checkpoint',
        choices=['best', 'last'],
        default='best',
        help='evaluate the checkpoint selected on the '
        'validation split (best) or the last one')
    parser.add_argument('--work-root', default='work_dirs')
    parser.add_argument(
        '--skip-existing',
        action='store_true',
        help='reuse results of configs already evaluated')
    args = parser.parse_args()
    os.makedirs(args.work_root, exist_ok=True)
    results = {}
    for config in args.configs:
        results[osp.splitext(osp.basename(config))[0]] = evaluate(
            config, args.linear, args.work_root, args.checkpoint,
            args.skip_existing)
    table = results_table(results)
    with open(osp.join(args.work_root, 'protocol_results.md'), 'w') as f:
        f.write(table + '\n')
    print('\nTest split of each dataset; checkpoint selected on the '
          f'validation split ({args.checkpoint}).')
    print(table)


if __name__ == '__main__':
    main()

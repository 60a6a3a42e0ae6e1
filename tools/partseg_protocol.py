"""Few-shot part segmentation of a self-supervised checkpoint, whole protocol
in one command, printing the mIoU table.

    python tools/partseg_protocol.py CONFIG CHECKPOINT [--shots K]
        [--seed S] [--work-dir DIR] [--cfg-options key=value ...]

CONFIG is a configs/partseg/ config (fine-tuning or frozen probe);
CHECKPOINT any mmfgssl self-supervised checkpoint (its ``backbone.`` weights
are loaded strictly into the config's mmpretrain ResNet). The protocol of the
PARTICLE code (after DatasetGAN/CoarseSup):

  1. tools/train.py CONFIG on a K-shot list drawn with SEED from the
     training list, saving a checkpoint every few epochs;
  2. tools/test.py on every saved checkpoint over the test list, which the
     metric splits into 5 folds of floor(N/5) images;
  3. for each fold: select the checkpoint with the best mIoU on that fold,
     score it on the other four folds (mIoU over classes, background
     included, pixels accumulated over the images);
  4. report the per-fold scores and their mean and standard deviation,
     and per part the IoU on the other folds, averaged over the folds.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re

import numpy as np
from mmengine.config import Config, DictAction

import mmfgssl  # noqa: F401
from mmfgssl.utils import ProgressLine, run_tool


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a configs/partseg/ config')
    parser.add_argument('checkpoint', help='self-supervised checkpoint')
    parser.add_argument(
        '--shots', type=int, help='K training images (default: the config\'s)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the K-shot draw')
    parser.add_argument(
        '--work-dir',
        help='default: work_dirs/partseg/'
        '<config>_<checkpoint run>_<K>shot_seed<S>')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='passed to train.py and test.py')
    return parser.parse_args()


def fold_table(per_ckpt: dict, num_folds: int):
    """Select per fold, score on the rest. Returns rows and the scores."""
    rows, scores = [], []
    for i in range(num_folds):
        best = max(per_ckpt, key=lambda c: per_ckpt[c][f'part/fold{i}_mIoU'])
        score = per_ckpt[best][f'part/rest{i}_mIoU']
        rows.append((i, best, per_ckpt[best][f'part/fold{i}_mIoU'], score))
        scores.append(score)
    return rows, np.array(scores)


def part_scores(per_ckpt: dict, rows) -> dict:
    """Per part: the IoU on the other folds of each fold's selected
    checkpoint, mean over the folds (a part absent from those images has
    none)."""
    prefix = 'part/rest0_IoU.'
    names = [k[len(prefix):] for k in per_ckpt[rows[0][1]] if
             k.startswith(prefix)]
    scores = {}
    for name in names:
        values = [
            per_ckpt[ckpt][f'part/rest{i}_IoU.{name}']
            for i, ckpt, _, _ in rows
        ]
        values = [v for v in values if not np.isnan(v)]
        scores[name] = float(np.mean(values)) if values else float('nan')
    return scores


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist')
    cfg = Config.fromfile(args.config)
    options = dict(args.cfg_options)
    if args.shots is not None:
        options['train_dataloader.dataset.num_shots'] = args.shots
    options['train_dataloader.dataset.seed'] = args.seed
    cfg.merge_from_dict(options)
    shots = cfg.train_dataloader.dataset.num_shots
    batch = cfg.train_dataloader.batch_size
    if shots is not None and cfg.train_dataloader.get('drop_last') and (
            shots < batch):
        raise SystemExit(f'--shots {shots} is smaller than the batch size '
                         f'{batch}, whose incomplete batches are skipped: '
                         'nothing would be trained. Use K >= batch size or '
                         'lower train_dataloader.batch_size.')
    num_folds = cfg.test_evaluator.get('num_folds', 5)
    name = osp.splitext(osp.basename(args.config))[0]
    run_name = osp.basename(osp.dirname(osp.abspath(args.checkpoint)))
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'partseg',
        f'{name}_{run_name}_{shots or "all"}shot_seed{args.seed}')
    os.makedirs(work_dir, exist_ok=True)
    cli_options = [f'{k}={v}' for k, v in options.items()]

    run_tool([
        'train.py', args.config, '--work-dir', work_dir, '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={args.checkpoint}', *cli_options
    ], osp.join(work_dir, 'train.log'),
             ProgressLine(f'part segmentation: train {name}',
                          cfg.train_cfg.get('max_epochs')))
    ckpts = sorted(
        glob.glob(osp.join(work_dir, 'epoch_*.pth')),
        key=lambda p: int(re.findall(r'epoch_(\d+)', p)[-1]))
    if not ckpts:
        raise SystemExit(f'no checkpoints in {work_dir}')
    per_ckpt = {}
    for ckpt in ckpts:
        out = ckpt[:-len('.pth')] + '_metrics.json'
        run_tool([
            'test.py', args.config, ckpt, '--work-dir', work_dir, '--out', out,
            '--cfg-options', *cli_options
        ], osp.join(work_dir,
                    osp.basename(out)[:-5] + '.log'),
                 ProgressLine(f'part segmentation: test {osp.basename(ckpt)}'))
        with open(out) as f:
            per_ckpt[osp.basename(ckpt)] = json.load(f)

    rows, scores = fold_table(per_ckpt, num_folds)
    lines = [
        f'Few-shot part segmentation: {args.config}, {shots or "all"} '
        f'training images (seed {args.seed}), backbone from '
        f'{args.checkpoint}',
        '| fold | selected checkpoint | mIoU on the fold | mIoU on the other '
        'folds |', '|---|---|---|---|'
    ]
    lines += [
        f'| {i} | {ckpt} | {val:.2f} | {test:.2f} |'
        for i, ckpt, val, test in rows
    ]
    lines.append(f'| mean +- std | | | **{scores.mean():.2f} +- '
                 f'{scores.std():.2f}** |')
    parts = part_scores(per_ckpt, rows)
    lines.append('\nPer part (IoU on the other folds, mean over folds): ' +
                 ', '.join(f'{k} {v:.2f}' for k, v in parts.items()))
    table = '\n'.join(lines)
    with open(osp.join(work_dir, 'protocol.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(work_dir, 'protocol.json'), 'w') as f:
        json.dump(
            dict(
                mean=float(scores.mean()),
                std=float(scores.std()),
                folds=[
                    dict(fold=i, checkpoint=c, fold_miou=v, rest_miou=t)
                    for i, c, v, t in rows
                ],
                parts=parts),
            f,
            indent=2)
    print(table)


if __name__ == '__main__':
    main()

"""Pre-train configs for several seeds and evaluate every run with the shared
protocols; print one table of mean +- std over seeds and draw the training
curves.

    python tools/run_protocol.py CONFIG [CONFIG ...] [--seeds 0 1 2]
        [--linear LINEAR_CONFIG] [--partseg PARTSEG_CONFIG]
        [--reference CONFIG] [--checkpoint best|last] [--jobs N]
        [--work-root work_dirs/protocol] [--skip-existing]
        [--cfg-options KEY=VALUE ...]

For every config and seed, through the real tools:
  1. tools/train.py CONFIG (seed S; online retrieval/kNN on the validation
     split held out of the training set; a config with
     ``train_cfg.max_epochs=0`` saves its initialisation as it is, which is
     how the "no pre-training" baselines are evaluated)
  2. tools/test.py CONFIG CKPT: test split, leave-one-out Rank-1/Rank-5/mAP
     and kNN top-1
  3. the linear probe on the frozen test-time representation (seed S):
     tools/train.py + tools/test.py for LCR's SGD probe
     (configs/linear_probe/<dataset>.py), tools/logistic_probe.py for a
     config with a ``probe`` entry (PARTICLE's, configs/linear_probe/
     particle_*.py)
  4. tools/partseg_protocol.py: few-shot part segmentation (seed S)
CKPT is the checkpoint selected on the validation split (``best``) or the
last one; the test split never selects anything. The evaluation configs
default to the ``protocol`` entry of each config (``linear``, ``partseg``).
``--cfg-options`` changes every pre-training config the way tools/train.py's
option does (e.g. a sweep of one setting, one ``--work-root`` per value); the
options are stored with each run and named under the table, and
``--skip-existing`` refuses to reuse a run made with other options.

Each evaluation stage is stored under the name of its config
(``partseg_<config>.json`` and ``partseg_<config>/``, likewise ``linear_``),
so evaluating stored runs with another protocol (``--partseg``) adds a
stage and keeps the earlier one; every evaluation stage records the
checkpoint it evaluated, and ``--skip-existing`` refuses a stored stage of
another checkpoint (e.g. after ``--checkpoint last``).

Results go to ``<work-root>/protocol_results.md`` (the table, with the
validation mAP of each evaluated checkpoint; with ``--reference``,
differences to that row larger than two standard deviations are marked)
and ``<work-root>/protocol_curves.png`` (training loss and validation mAP
per epoch, mean over seeds). Each finished stage is stored, so
``--skip-existing`` resumes an interrupted table (e.g. one run in the
background with ``nohup``). ``--jobs N`` runs N config/seed runs at once,
each tool with (CPU cores / N) threads: on a small CPU two single-threaded
runs use it better than one run with two threads.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from mmengine.config import Config, DictAction

from mmfgssl.utils import ProgressLine, run_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
COLUMNS = [('retrieval/Rank-1', 'Rank-1'), ('retrieval/Rank-5', 'Rank-5'),
           ('retrieval/mAP', 'mAP'), ('knn/top1', 'kNN top-1'),
           ('accuracy/top1', 'linear top-1'), ('part/mIoU', 'part mIoU'),
           ('val/retrieval/mAP', 'val mAP')]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='pre-training configs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument(
        '--linear',
        help='linear-probe config (default: the config\'s '
        'protocol.linear; "none" to skip)')
    parser.add_argument(
        '--partseg',
        help='part-segmentation config (default: the config\'s '
        'protocol.partseg; "none" to skip)')
    parser.add_argument(
        '--reference',
        help='mark differences to this config\'s row beyond 2 std')
    parser.add_argument(
        '--checkpoint',
        choices=['best', 'last'],
        default='best',
        help='evaluate the checkpoint selected on the validation split '
        '(best) or the last one')
    parser.add_argument(
        '--jobs', type=int, default=1, help='config/seed runs at once')
    parser.add_argument('--work-root', default='work_dirs/protocol')
    parser.add_argument(
        '--skip-existing',
        action='store_true',
        help='reuse the stages already finished')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='override settings of every pre-training config (as '
        'tools/train.py), e.g. model.keep_ratio=0.1')
    return parser.parse_args()


def parse_cfg_options(options):
    """``KEY=VALUE`` strings as tools/train.py reads them."""
    parsed = argparse.Namespace(cfg_options={})
    if options:
        DictAction(['--cfg-options'], 'cfg_options')(None, parsed, options)
    return parsed.cfg_options


def config_name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def select_checkpoint(work_dir: str, which: str) -> str:
    if which == 'best':
        found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')))
        if found:
            return found[-1]
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def evaluation_config(cfg: Config, key: str, override: str):
    """The linear-probe or part-segmentation config of a pre-training
    config (None to skip)."""
    path = override or cfg.get('protocol', {}).get(key)
    if not path or path == 'none':
        return None
    return path if osp.isabs(path) else osp.join(REPO, path)


class Run:
    """One config at one seed: its stages and stored results."""

    def __init__(self, config: str, seed: int, args) -> None:
        self.config, self.seed, self.args = config, seed, args
        self.cfg = Config.fromfile(config)
        self.cfg.merge_from_dict(parse_cfg_options(args.cfg_options))
        self.name = config_name(config)
        self.dir = osp.join(args.work_root, self.name, f'seed{seed}')
        self.label = f'{self.name} seed {seed}'
        os.makedirs(self.dir, exist_ok=True)
        self.env = {}
        if args.jobs > 1:
            threads = max(1, (os.cpu_count() or 1) // args.jobs)
            self.env = {'OMP_NUM_THREADS': str(threads)}

    def tool(self, args, log, stage, epochs=None):
        """Run a tool of this run, its output in ``log`` under the run's
        folder, its progress on the console."""
        run_tool(
            args, osp.join(self.dir, log),
            ProgressLine(
                f'{stage} {self.label}', epochs, in_place=self.args.jobs == 1),
            self.env)

    def stage(self, key, fn, checkpoint=None):
        """Run a stage once; its result (a dict) is stored in the run's
        folder and reused with --skip-existing. An evaluation stage names
        the ``checkpoint`` it evaluates, which a stored result must match
        (by its name in the run's folder, whatever the paths' form)."""
        path = osp.join(self.dir, f'{key}.json')
        if checkpoint:
            checkpoint = osp.relpath(checkpoint, self.dir)
        if self.args.skip_existing and osp.isfile(path):
            with open(path) as f:
                stored = json.load(f)
            # runs stored before the option existed were made without any
            if stored.get('cfg_options', []) != self.args.cfg_options:
                raise SystemExit(
                    f'{path} was made with --cfg-options '
                    f'{stored.get("cfg_options", [])}, this run asks for '
                    f'{self.args.cfg_options}: use another --work-root (or '
                    'the same options) to keep it')
            if checkpoint and stored.get('evaluated') != checkpoint:
                raise SystemExit(
                    f'{path} evaluated {stored.get("evaluated")}, this run '
                    f'evaluates {checkpoint} (--checkpoint '
                    f'{self.args.checkpoint}): use another --work-root (or '
                    'the same --checkpoint) to keep it')
            return stored
        result = dict(fn(), cfg_options=self.args.cfg_options)
        if checkpoint:
            result['evaluated'] = checkpoint
        with open(path, 'w') as f:
            json.dump(result, f, indent=2)
        return result

    def pretrain(self):
        start = time.time()
        epochs = self.cfg.train_cfg.get('max_epochs')
        self.tool([
            'train.py', self.config, '--work-dir', self.dir, '--cfg-options',
            f'randomness.seed={self.seed}', *self.args.cfg_options
        ], 'train.log', 'pre-train', epochs)
        return dict(pretrain_minutes=(time.time() - start) / 60)

    def test(self, ckpt):
        out = osp.join(self.dir, 'test_metrics.json')
        self.tool([
            'test.py', self.config, ckpt, '--work-dir', self.dir, '--out', out,
            *(['--cfg-options', *self.args.cfg_options]
              if self.args.cfg_options else [])
        ], 'test.log', 'test')
        with open(out) as f:
            return json.load(f)

    def linear(self, ckpt, config, key):
        work = osp.join(self.dir, key)
        os.makedirs(work, exist_ok=True)
        out = osp.join(work, 'test_metrics.json')
        probe = Config.fromfile(config)
        if 'probe' in probe:  # PARTICLE's logistic regression
            self.tool(['logistic_probe.py', config, ckpt, '--out', out],
                      f'{key}.log', 'logistic probe')
        else:  # LCR's SGD probe: train, then test the last checkpoint
            options = [
                f'model.backbone.checkpoint={ckpt}',
                f'randomness.seed={self.seed}'
            ]
            self.tool([
                'train.py', config, '--work-dir', work, '--cfg-options',
                *options
            ], f'{key}.log', 'linear probe',
                      probe.train_cfg.get('max_epochs'))
            self.tool([
                'test.py', config,
                select_checkpoint(work, 'last'), '--work-dir', work, '--out',
                out, '--cfg-options', *options
            ], f'{key}_test.log', 'linear test')
        with open(out) as f:
            return json.load(f)

    def partseg(self, ckpt, config, key):
        work = osp.join(self.dir, key)
        self.tool([
            'partseg_protocol.py', config, ckpt, '--seed',
            str(self.seed), '--work-dir', work
        ], f'{key}.log', 'part segmentation')
        with open(osp.join(work, 'protocol.json')) as f:
            protocol = json.load(f)
        return {
            'part/mIoU': protocol['mean'],
            **{f'part/IoU.{k}': v
               for k, v in protocol['parts'].items()}
        }

    def evaluate(self):
        result = dict(self.stage('pretrain', self.pretrain))
        # chosen here, not stored: a pre-training serves either --checkpoint
        ckpt = result['checkpoint'] = select_checkpoint(
            self.dir, self.args.checkpoint)
        result.update(self.stage('test', lambda: self.test(ckpt), ckpt))
        linear = evaluation_config(self.cfg, 'linear', self.args.linear)
        partseg = evaluation_config(self.cfg, 'partseg', self.args.partseg)
        named = (('linear top-1:', linear), ('part mIoU:', partseg))
        result['evaluation'] = ', '.join(
            f'{kind} {osp.relpath(path, REPO)}' for kind, path in named
            if path)
        if linear:
            key = f'linear_{config_name(linear)}'
            result.update(
                self.stage(key, lambda: self.linear(ckpt, linear, key), ckpt))
        if partseg:
            key = f'partseg_{config_name(partseg)}'
            result.update(
                self.stage(key, lambda: self.partseg(ckpt, partseg, key),
                           ckpt))
        # the validation mAP of the evaluated checkpoint (what selected it)
        epoch = re.search(r'epoch_(\d+)\.pth$', ckpt)
        validation = training_curves(self.dir)[1]
        if epoch and int(epoch.group(1)) in validation:
            result['val/retrieval/mAP'] = validation[int(epoch.group(1))]
        return result


def mean_std(values):
    values = np.asarray(values, float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return values.mean(), std


def mean_std_cell(runs, key, reference_runs=None) -> str:
    """``mean ± std`` of ``key`` over the runs that have it ('-' if none),
    marked ↑/↓ where it differs from the reference runs' mean by more than
    two of the larger of the two standard deviations."""
    values = [r[key] for r in runs if key in r]
    if not values:
        return '-'
    mean, std = mean_std(values)
    cell = f'{mean:.1f} ± {std:.1f}' if len(values) > 1 else f'{mean:.1f}'
    ref_values = [r[key] for r in reference_runs or [] if key in r]
    # a difference is only judged against a spread both rows have
    if len(ref_values) > 1 and len(values) > 1:
        ref_mean, ref_std = mean_std(ref_values)
        if abs(mean - ref_mean) > 2 * max(std, ref_std):
            cell += ' ↑' if mean > ref_mean else ' ↓'
    return cell


def markdown_table(results, columns, reference=None, minutes=False):
    """One row per config: :func:`mean_std_cell` of each ``(key, title)``
    column (and the mean pre-training minutes)."""
    header = ['config'] + [t for _, t in columns]
    header += ['pre-train min'] if minutes else []
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    ref = results.get(reference) if reference else None
    for name, runs in results.items():
        cells = [name] + [
            mean_std_cell(runs, key, ref if name != reference else None)
            for key, _ in columns
        ]
        if minutes:
            minutes_run = [r['pretrain_minutes'] for r in runs]
            cells.append(f'{np.mean(minutes_run):.1f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def reference_note(reference) -> str:
    return (f' ↑/↓: the mean differs from {reference} by more than two '
            'standard deviations (the larger of the two rows).'
            if reference else '')


def results_table(results, seeds, reference=None):
    """Markdown rows of mean +- std (sample std over seeds)."""
    note = (f'Mean ± sample std over seeds {", ".join(map(str, seeds))}; '
            'test split; checkpoint selected on the validation split; val '
            'mAP: the validation retrieval mAP of the evaluated checkpoint.')
    return (markdown_table(results, COLUMNS, reference, minutes=True) +
            '\n\n' + note + reference_note(reference))


def parts_table(results, seeds, reference=None):
    """Per-part IoU of the part-segmentation protocol, mean +- std over
    seeds, or None without part results."""
    keys = dict.fromkeys(
        k for runs in results.values() for r in runs for k in r
        if k.startswith('part/IoU.'))
    if not keys:
        return None
    columns = [(k, k[len('part/IoU.'):]) for k in keys]
    note = (f'Part IoU (%), mean ± sample std over seeds '
            f'{", ".join(map(str, seeds))}: for each test fold, the IoU of '
            'the checkpoint selected on that fold, on the other folds, '
            'averaged over the folds (with every part present in every '
            'fold, the part mIoU of the results table is their mean).')
    return (markdown_table(results, columns, reference) + '\n\n' + note +
            reference_note(reference))


def training_curves(run_dir: str):
    """Per-epoch mean training loss and validation retrieval mAP of a run,
    from mmengine's scalars.json."""
    files = sorted(
        glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')))
    loss, val = defaultdict(list), {}
    for path in files[-1:]:
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if 'loss' in row and 'epoch' in row:
                    loss[row['epoch']].append(row['loss'])
                if 'retrieval/mAP' in row:
                    val[row['step']] = row['retrieval/mAP']
    return {e: np.mean(v) for e, v in loss.items()}, val


def draw_curves(names, seeds, work_root, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(11, 4))
    for name in names:
        curves = [
            training_curves(osp.join(work_root, name, f'seed{s}'))
            for s in seeds
        ]
        for ax, index in ((ax_loss, 0), (ax_val, 1)):
            epochs = sorted(set.intersection(*[set(c[index]) for c in curves]))
            if epochs:
                ax.plot(
                    epochs,
                    [np.mean([c[index][e] for c in curves]) for e in epochs],
                    marker='o' if index else None,
                    label=name)
    ax_loss.set(xlabel='epoch', ylabel='training loss (mean per epoch)')
    ax_val.set(xlabel='epoch', ylabel='validation retrieval mAP (%)')
    for ax in (ax_loss, ax_val):
        ax.grid(alpha=0.3)
    ax_val.legend(fontsize=7)
    fig.suptitle(f'mean over seeds {", ".join(map(str, seeds))}')
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    args = parse_args()
    os.makedirs(args.work_root, exist_ok=True)
    runs = [(config, seed) for config in args.configs for seed in args.seeds]

    def evaluate(index):
        config, seed = runs[index]
        # one write per line: runs started side by side print at once
        sys.stdout.write(
            f'[{index + 1}/{len(runs)}] {config_name(config)} seed {seed}\n')
        sys.stdout.flush()
        return Run(config, seed, args).evaluate()

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        evaluated = list(pool.map(evaluate, range(len(runs))))
    results = defaultdict(list)
    for (config, _), result in zip(runs, evaluated):
        results[config_name(config)].append(result)
    reference = config_name(args.reference) if args.reference else None
    table = results_table(results, args.seeds, reference)
    evaluations = [
        f'{name}: {seed_results[0]["evaluation"]}'
        for name, seed_results in results.items()
        if seed_results[0].get('evaluation')
    ]
    if evaluations:
        table += '\n\nEvaluation configs: ' + '; '.join(evaluations) + '.'
    if args.cfg_options:
        table += ('\n\nEvery pre-training config with --cfg-options ' +
                  ' '.join(args.cfg_options) + '.')
    tables = {'table': ('protocol_results.md', table)}
    parts = parts_table(results, args.seeds, reference)
    if parts:
        tables['per part'] = ('protocol_parts.md', parts)
    for file_name, text in tables.values():
        with open(osp.join(args.work_root, file_name), 'w') as f:
            f.write(text + '\n')
    curves = osp.join(args.work_root, 'protocol_curves.png')
    draw_curves(list(results), args.seeds, args.work_root, curves)
    for _, text in tables.values():
        print('\n' + text)
    print('\n' + '; '.join(
        [f'{kind}: {args.work_root}/{file_name}'
         for kind, (file_name, _) in tables.items()] + [f'curves: {curves}']))


if __name__ == '__main__':
    main()

"""What a person sees while the protocol tools run: the live progress line
on mmengine's log lines, failures shown with their log's tail, and
run_protocol.py's results table of mean +- std over seeds."""
import io
import json
import os
import os.path as osp
from types import SimpleNamespace

import pytest

from conftest import REPO, TINY, load_tool
from mmfgssl.utils import ProgressLine, progress, run_tool

# Lines of real runs (tools/train.py and tools/test.py on the tiny benchmark):
# LCR training with 12 iterations per epoch (mmengine pads the iteration),
# validation progress and metrics, and the test loop's progress.
TRAIN = ('12/01 19:11:20 - mmengine - INFO - Epoch(train) [1][ 5/12]  lr: '
         '3.0000e-02  eta: 0:00:42  time: 0.0912  data_time: 0.0094  loss: '
         '2.6756  loss_rationale: 0.0016\n')
OTHER = ('12/01 19:11:20 - mmengine - INFO - load backbone. from '
         'generic://resnet18_cpu\n')
VAL_PROGRESS = ('12/01 18:44:58 - mmengine - INFO - Epoch(val) [1][1/1]    '
                'eta: 0:00:00  time: 0.0530  data_time: 0.0035  \n')
VAL = ('12/01 18:44:58 - mmengine - INFO - Epoch(val) [1][1/1]    '
       'retrieval/Rank-1: 12.5000  retrieval/Rank-5: 75.0000  retrieval/mAP: '
       '30.6548  knn/top1: 37.5000  data_time: 0.0035  time: 0.0530\n')
TEST = ('12/01 19:11:08 - mmengine - INFO - Epoch(test) [2/4]    eta: '
        '0:00:00  time: 0.0265  data_time: 0.0022  \n')

AT_TRAIN = 'pre-train lcr seed 0 | epoch 1/40 iter 5/12 | eta 0:00:42 | '\
    'loss 2.676'
AT_VAL = 'pre-train lcr seed 0 | epoch 1/40 iter 5/12 | eta 0:00:42 | '\
    'loss 2.676 | val retrieval/Rank-1 12.50 (epoch 1)'


class Terminal(io.StringIO):

    def isatty(self):
        return True


def test_progress_line_in_a_log_prints_each_change_once():
    stream = io.StringIO()
    line = ProgressLine('pre-train lcr seed 0', 40, stream, interval=0)
    for text in (TRAIN, OTHER, TRAIN, VAL_PROGRESS, VAL):
        line.update(text)
    line.close()
    assert stream.getvalue().splitlines() == [
        AT_TRAIN, AT_VAL,
        'pre-train lcr seed 0 | epoch 1/40 iter 5/12 [done] | loss 2.676 | '
        'val retrieval/Rank-1 12.50 (epoch 1)'
    ]


def test_progress_line_in_a_log_waits_interval_seconds(monkeypatch):
    clock = SimpleNamespace(now=100.0)
    monkeypatch.setattr(progress, 'time',
                        SimpleNamespace(time=lambda: clock.now))
    stream = io.StringIO()
    line = ProgressLine('pre-train lcr seed 0', 40, stream, interval=30)
    line.update(TRAIN)
    clock.now = 110.0
    line.update(VAL)  # within 30 s: not printed yet
    assert stream.getvalue() == AT_TRAIN + '\n'
    clock.now = 131.0
    line.update(OTHER)  # the latest state, once 30 s have passed
    assert stream.getvalue() == AT_TRAIN + '\n' + AT_VAL + '\n'
    clock.now = 132.0
    line.close('FAILED')  # always shown
    assert stream.getvalue().splitlines()[-1].endswith(
        '[FAILED] | loss 2.676 | val retrieval/Rank-1 12.50 (epoch 1)')


def test_progress_line_on_a_terminal_updates_in_place():
    stream = Terminal()
    line = ProgressLine('test lcr seed 0', stream=stream, interval=30)
    line.update(TEST)
    line.update(VAL_PROGRESS)
    first = 'test lcr seed 0 | batch 2/4'
    assert stream.getvalue() == '\r' + first
    line.update(TRAIN)  # a longer line overwrites it
    second = 'test lcr seed 0 | epoch 1 iter 5/12 | eta 0:00:42 | loss 2.676'
    assert stream.getvalue() == '\r' + first + '\r' + second
    line.close()
    done = 'test lcr seed 0 | epoch 1 iter 5/12 [done] | loss 2.676'
    # padded to blank the longer line it replaces, then a newline
    assert stream.getvalue().endswith('\r' + done.ljust(len(second)) + '\n')


def test_run_tool_shows_progress_and_a_failing_log(tiny_synthetic, tmp_path,
                                                   monkeypatch):
    monkeypatch.chdir(tiny_synthetic)
    stream = io.StringIO()
    log = tmp_path / 'train.log'
    run_tool([
        'train.py', f'{REPO}/configs/mocov2_synthetic.py', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *TINY,
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1'
    ], str(log), ProgressLine('pre-train mocov2', 1, stream, interval=0))
    shown = stream.getvalue().splitlines()
    assert shown[0] == 'pre-train mocov2'  # before the first iteration
    assert shown[1].startswith('pre-train mocov2 | epoch 1/1 iter 1/3 | eta ')
    assert shown[-1].startswith('pre-train mocov2 | epoch 1/1 iter 3/3 '
                                '[done] | loss ')
    assert ' | val retrieval/Rank-1 ' in shown[-1]
    assert 'Epoch(train) [1][3/3]' in log.read_text()  # the whole output

    monkeypatch.chdir(tmp_path)  # no data here
    stream = io.StringIO()
    failing = tmp_path / 'failing.log'
    with pytest.raises(SystemExit) as stop:
        run_tool(['train.py', f'{REPO}/configs/mocov2_synthetic.py'],
                 str(failing), ProgressLine('pre-train mocov2', 1, stream))
    message = str(stop.value)
    assert message.startswith(f'train.py failed (exit 1); the end of its log '
                              f'({failing}):\n')
    assert "data_root = 'data/synthetic_birds/'" in message
    assert message.endswith(f'(full log: {failing})')
    assert failing.read_text().startswith('$ ')
    assert failing.read_text()[-1000:] in message
    assert stream.getvalue().endswith('pre-train mocov2 | [FAILED]\n')


def test_results_table_mean_sample_std_and_two_std_marks():
    """Three seeds per config. Sample std (ddof=1): 5, 6, 7 give 1.0 (0.8
    with ddof=0). A mean is marked when it differs from the reference by
    more than two of the larger of the two stds: mAP by 5 > 2 x 1 (up), kNN
    by 5.5 > 2 x 2 (down); Rank-5 by 15 < 2 x 10 is not marked, though it
    is 15 of its own stds."""
    runs = {
        'mocov2_synthetic': [
            dict(zip(['Rank-1', 'Rank-5', 'mAP', 'kNN', 'min'], values))
            for values in ((5, 10, 7, 6, 4.0), (6, 20, 8, 8, 5.0), (7, 30, 9,
                                                                    10, 6.5))
        ],
        'rationale_synthetic': [
            dict(zip(['Rank-1', 'Rank-5', 'mAP', 'kNN', 'min'], values))
            for values in ((6, 34, 12, 2, 5.0), (7, 35, 13, 2.5, 5.0),
                           (8, 36, 14, 3, 5.3))
        ]
    }
    keys = {
        'Rank-1': 'retrieval/Rank-1',
        'Rank-5': 'retrieval/Rank-5',
        'mAP': 'retrieval/mAP',
        'kNN': 'knn/top1',
        'min': 'pretrain_minutes'
    }
    results = {
        name: [{
            keys[k]: float(v)
            for k, v in run.items()
        } for run in seeds]
        for name, seeds in runs.items()
    }
    table = load_tool('run_protocol').results_table(
        results, [0, 1, 2], 'mocov2_synthetic')
    assert table.splitlines() == [
        '| config | Rank-1 | Rank-5 | mAP | kNN top-1 | linear top-1 | '
        'part mIoU | val mAP | pre-train min |',
        '|---|---|---|---|---|---|---|---|---|',
        '| mocov2_synthetic | 6.0 ± 1.0 | 20.0 ± 10.0 | 8.0 ± 1.0 | '
        '8.0 ± 2.0 | - | - | - | 5.2 |',
        '| rationale_synthetic | 7.0 ± 1.0 | 35.0 ± 1.0 | 13.0 ± 1.0 ↑ | '
        '2.5 ± 0.5 ↓ | - | - | - | 5.1 |',
        '',
        'Mean ± sample std over seeds 0, 1, 2; test split; checkpoint '
        'selected on the validation split; val mAP: the validation retrieval '
        'mAP of the evaluated checkpoint. ↑/↓: the mean differs from '
        'mocov2_synthetic by more than two standard deviations (the larger '
        'of the two rows).',
    ]


def _fake_tools(module, monkeypatch):
    """Replace the tools run_protocol.py runs by stand-ins that write what
    the real ones write (checkpoints, scalars, metrics); returns the list
    of their argument lists."""
    calls = []

    def fake_run_tool(argv, log, line, env):
        calls.append(argv)
        if argv[0] == 'logistic_probe.py':
            with open(argv[argv.index('--out') + 1], 'w') as f:
                f.write('{"accuracy/top1": 40.0}')
            return
        work = argv[argv.index('--work-dir') + 1]
        if argv[0] == 'train.py':
            with open(osp.join(work, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(work, 'epoch_20.pth'))
            best = osp.join(work, 'best_retrieval_mAP_epoch_10.pth')
            open(best, 'w').close()
            scalars = osp.join(work, '20261207_010000', 'vis_data')
            os.makedirs(scalars)
            with open(osp.join(scalars, 'scalars.json'), 'w') as f:
                f.write('{"loss": 5.0, "epoch": 1, "step": 20}\n'
                        '{"retrieval/mAP": 20.0, "step": 10}\n'
                        '{"retrieval/mAP": 18.0, "step": 20}\n')
        elif argv[0] == 'partseg_protocol.py':
            os.makedirs(work)
            with open(osp.join(work, 'protocol.json'), 'w') as f:
                f.write('{"mean": %d, "parts": {"beak": 7.0}}' % len(calls))
        else:
            with open(argv[argv.index('--out') + 1], 'w') as f:
                f.write('{"retrieval/mAP": 21.0}')

    monkeypatch.setattr(module, 'run_tool', fake_run_tool)
    return calls


def test_run_protocol_cfg_options_reach_the_tools_and_guard_stored_runs(
        tmp_path, monkeypatch):
    """--cfg-options changes the pre-training config the tools run (train
    and test get the options; the Run's own config reads them too), is
    stored with the run, and --skip-existing refuses a stored run made with
    other options instead of mixing it into the table. The table's val mAP
    is the validation mAP of the evaluated checkpoint's epoch."""
    module = load_tool('run_protocol')
    calls = _fake_tools(module, monkeypatch)
    config = osp.join(REPO, 'configs', 'lodisc_synthetic.py')

    def args(options, skip):
        return SimpleNamespace(
            work_root=str(tmp_path), jobs=1, linear='none', partseg='none',
            checkpoint='best', skip_existing=skip, cfg_options=options)

    run = module.Run(config, 1, args(['model.keep_ratio=0.1'], False))
    assert run.cfg.model.keep_ratio == 0.1
    result = run.evaluate()
    train, test = calls
    assert train[train.index('--cfg-options') + 1:] == [
        'randomness.seed=1', 'model.keep_ratio=0.1'
    ]
    assert test[test.index('--cfg-options') + 1:] == ['model.keep_ratio=0.1']
    assert result['retrieval/mAP'] == 21.0
    assert result['cfg_options'] == ['model.keep_ratio=0.1']
    # the validation mAP of the evaluated checkpoint: the best (epoch 10)
    assert result['checkpoint'].endswith('best_retrieval_mAP_epoch_10.pth')
    assert result['val/retrieval/mAP'] == 20.0

    # the same options reuse the stored stages without running a tool
    module.Run(config, 1, args(['model.keep_ratio=0.1'], True)).evaluate()
    assert len(calls) == 2
    with pytest.raises(SystemExit, match='pretrain.json was made with'):
        module.Run(config, 1, args([], True)).evaluate()
    assert len(calls) == 2
    # or the last one's (epoch 20)
    last = args([], False)
    last.checkpoint, last.work_root = 'last', str(tmp_path / 'last')
    assert module.Run(config, 1, last).evaluate()['val/retrieval/mAP'] == 18.0


def test_run_protocol_evaluation_stages_are_kept_per_config_and_checkpoint(
        tmp_path, monkeypatch):
    """Another part-segmentation config evaluates the stored pre-training in
    a stage of its own and keeps the first one; a stored evaluation of
    another checkpoint (--checkpoint last after best) is refused, not
    reused."""
    module = load_tool('run_protocol')
    calls = _fake_tools(module, monkeypatch)
    config = osp.join(REPO, 'configs', 'mocov2_synthetic.py')
    frozen = osp.join(REPO, 'configs', 'partseg', 'synthetic_frozen.py')
    tuned = osp.join(REPO, 'configs', 'partseg', 'synthetic_finetune.py')

    def evaluate(partseg, checkpoint='best'):
        return module.Run(
            config, 0,
            SimpleNamespace(
                work_root=str(tmp_path), jobs=1, linear=None,
                partseg=partseg, checkpoint=checkpoint, skip_existing=True,
                cfg_options=[])).evaluate()

    first = evaluate(tuned)
    assert [c[0] for c in calls] == [
        'train.py', 'test.py', 'logistic_probe.py', 'partseg_protocol.py'
    ]
    assert first['part/mIoU'] == 4 and first['accuracy/top1'] == 40.0
    assert first['part/IoU.beak'] == 7.0
    run_dir = tmp_path / 'mocov2_synthetic' / 'seed0'
    assert calls[-1][calls[-1].index('--work-dir') + 1] == str(
        run_dir / 'partseg_synthetic_finetune')
    second = evaluate(frozen)
    assert [c[0] for c in calls[4:]] == ['partseg_protocol.py']
    assert second['part/mIoU'] == 5
    assert second['retrieval/mAP'] == first['retrieval/mAP']
    assert evaluate(tuned)['part/mIoU'] == 4  # still there, reused
    assert len(calls) == 5
    stored = json.loads(
        (run_dir / 'partseg_synthetic_frozen.json').read_text())
    assert stored['evaluated'] == 'best_retrieval_mAP_epoch_10.pth'
    with pytest.raises(SystemExit, match='test.json evaluated '
                       'best_retrieval_mAP_epoch_10.pth, this run evaluates '
                       'epoch_20.pth'):
        evaluate(frozen, 'last')
    assert len(calls) == 5


def test_parts_table_per_part_mean_std_and_marks():
    """One column per part the runs report, in their order, marked against
    the reference as the results table is; none without part results."""
    module = load_tool('run_protocol')
    results = {
        'mocov2_synthetic': [{'part/IoU.eye': v, 'part/IoU.beak': v - 12}
                             for v in (40.0, 42.0, 44.0)],
        'particle_synthetic': [{'part/IoU.eye': v, 'part/IoU.beak': v - 21}
                               for v in (50.0, 52.0, 54.0)],
    }
    table = module.parts_table(results, [0, 1, 2], 'mocov2_synthetic')
    assert table.splitlines()[:4] == [
        '| config | eye | beak |', '|---|---|---|',
        '| mocov2_synthetic | 42.0 ± 2.0 | 30.0 ± 2.0 |',
        '| particle_synthetic | 52.0 ± 2.0 ↑ | 31.0 ± 2.0 |'
    ]
    assert module.parts_table({'a': [{'knn/top1': 1.0}]}, [0]) is None

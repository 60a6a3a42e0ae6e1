"""A checkpoint is data, never code: every scheme goes through the safe
loader, config text in checkpoints is never executed, weights load strictly,
and checkpoint files are never left truncated."""
import copy
import http.server
import os
import random
import threading

import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint
from mmpretrain.registry import MODELS

import mmfgssl  # noqa: F401
from conftest import load_converted
from mmfgssl.checkpoint import (SAFE_LOADERS, CheckpointFormatError,
                                UnsafeCheckpointError, load_state_dict_strict)
from mmfgssl.engine.runner import SafeCheckpointHook, write_atomically
from test_models import SMALL_MOCO


class _RunsShell:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _evil(path, marker):
    torch.save({
        'state_dict': {
            'w': torch.ones(1)
        },
        'meta': _RunsShell(marker)
    }, path)


def test_every_registered_scheme_uses_the_safe_loader():
    assert CheckpointLoader._schemes, 'mmengine has schemes'
    for prefix, loader in CheckpointLoader._schemes.items():
        assert loader.__module__.startswith('mmfgssl'), prefix
    # mmengine's remote schemes are all covered explicitly
    for prefix in ('', 'http://', 'https://', 'torchvision://', 'mmcls://',
                   'open-mmlab://', 'generic://'):
        assert prefix in SAFE_LOADERS


def test_config_text_in_a_checkpoint_is_never_executed(tmp_path):
    """The issue's payload: no pickled object at all, only config text that
    mmengine would execute when parsing it."""
    marker = tmp_path / 'pwned.txt'
    payload = f"__import__('os').system('touch {marker}')"
    path = str(tmp_path / 'x.pth')
    torch.save({
        'meta': {
            'cfg': payload,
            'config': payload
        },
        'state_dict': {}
    }, path)
    loaded = _load_checkpoint(path)
    assert 'cfg' not in loaded['meta'] and 'config' not in loaded['meta']
    # the linear probe's backbone refuses it for lack of a data config
    with pytest.raises(ValueError, match='meta.model_config'):
        MODELS.build(dict(type='SelfSupFeature', checkpoint=path))
    assert not marker.exists()


class _Handler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


@pytest.fixture
def http_root(tmp_path):
    """A web server on 127.0.0.1 serving a folder; yields (folder, url)."""
    root = tmp_path / 'www'
    root.mkdir()

    def handler(*args, **kwargs):
        return _Handler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_remote_checkpoints_go_through_the_safe_loader(http_root, tmp_path,
                                                       monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    root, url = http_root
    marker = tmp_path / 'pwned'
    _evil(str(root / 'evil.pth'), marker)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        _load_checkpoint(f'{url}/evil.pth')
    assert not marker.exists()
    # downloaded into torch's hub cache, where torch.hub would read it
    assert (tmp_path / 'torch' / 'hub' / 'checkpoints' / 'evil.pth').exists()
    # a safe remote checkpoint loads
    torch.save({'state_dict': {'w': torch.arange(3.)}}, root / 'ok.pth')
    assert _load_checkpoint(f'{url}/ok.pth')['state_dict']['w'].tolist() == [
        0, 1, 2
    ]


def test_a_file_planted_in_the_hub_cache_is_refused(tmp_path, monkeypatch):
    """Every real-data config loads torchvision://resnet50; the file torch
    caches for it is unpickled with the safe loader too."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    cache = tmp_path / 'torch' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    marker = tmp_path / 'pwned'
    _evil(str(cache / 'resnet50-0676ba61.pth'), marker)
    with pytest.raises(UnsafeCheckpointError, match='resnet50-0676ba61'):
        _load_checkpoint('torchvision://resnet50')
    assert not marker.exists()


@pytest.mark.parametrize('content,match',
                         [(b'', 'is empty'),
                          (b'PK\x03\x04truncated', 'not a readable')])
def test_files_that_are_no_checkpoint_are_named(tmp_path, content, match):
    path = tmp_path / 'broken.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointFormatError, match=match) as info:
        _load_checkpoint(str(path))
    assert str(path) in str(info.value)
    assert 'arbitrary code' not in str(info.value)


def test_random_bytes_are_named_as_no_checkpoint(tmp_path):
    """Garbage fails inside the weights-only unpickler in many ways
    (IndexError, KeyError, struct.error, ...: CI once drew an IndexError
    from os.urandom); every one must become the same named error."""
    path = tmp_path / 'garbage.pth'
    kinds = set()
    for seed in range(300):
        path.write_bytes(random.Random(seed).randbytes(300))
        with pytest.raises(CheckpointFormatError,
                           match='not a readable') as info:
            _load_checkpoint(str(path))
        assert str(path) in str(info.value)
        kinds.add(type(info.value.__cause__).__name__)
    # the seeds reach more than one failure inside the unpickler
    assert len(kinds) > 1, kinds


def test_strict_loading_names_the_file_and_keys():
    model = MODELS.build(copy.deepcopy(SMALL_MOCO))
    state = model.state_dict()
    load_state_dict_strict(model, state, 'good.pth')
    with pytest.raises(RuntimeError) as info:
        load_state_dict_strict(model, {'foo': torch.ones(1)}, 'foo.pth')
    text = str(info.value)
    assert 'foo.pth' in text and 'unexpected keys 1 (foo)' in text
    assert f'missing keys {len(state)}' in text
    bad = dict(state)
    bad['neck.mlp.0.weight'] = torch.ones(1, 1)
    with pytest.raises(RuntimeError, match='neck.mlp.0.weight'):
        load_state_dict_strict(model, bad, 'shape.pth')


def test_pretrained_init_strict_and_converted(tmp_path):
    """`init_cfg=dict(type='Pretrained', convert='torchvision_resnet',
    strict=True)` loads a torchvision-layout ResNet state dict (DetCon's
    ImageNet checkpoint, as the PARTICLE code reads it), also wrapped under
    `state_dict` and with DataParallel's `module.` prefix."""
    import torchvision
    reference = torchvision.models.resnet18()
    path = str(tmp_path / 'resnet18_tv.pth')
    torch.save(
        {
            'state_dict': {
                f'module.{k}': v
                for k, v in reference.state_dict().items()
            }
        }, path)
    backbone = load_converted(
        dict(type='ResNet', depth=18), path, 'torchvision_resnet')
    backbone.eval()
    reference.eval()
    x = torch.randn(2, 3, 64, 64)
    feat = reference.layer4(
        reference.layer3(
            reference.layer2(
                reference.layer1(
                    reference.maxpool(
                        reference.relu(reference.bn1(reference.conv1(x))))))))
    assert torch.allclose(backbone(x)[-1], feat, atol=1e-5)
    # a ResNet-34 layout does not fit a ResNet-18: refused, keys named
    torch.save(torchvision.models.resnet34().state_dict(), path)
    with pytest.raises(RuntimeError, match='unexpected keys'):
        load_converted(
            dict(type='ResNet', depth=18), path, 'torchvision_resnet')


class _FakeRunner:
    """What CheckpointHook._save_best_checkpoint uses of a runner."""

    def __init__(self, work_dir):
        from mmengine.logging import MessageHub, MMLogger
        self.work_dir = str(work_dir)
        self.epoch = self.iter = 0
        self.message_hub = MessageHub.get_instance('best_ckpt_test')
        self.logger = MMLogger.get_instance('best_ckpt_test')
        self.fail = False

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(b'half a checkpoint')
            if self.fail:
                raise OSError(28, 'No space left on device')
            f.write(b' and the rest')

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        write_atomically(os.path.join(out_dir, filename), self.write)


def test_an_interrupted_write_leaves_no_file(tmp_path):
    runner = _FakeRunner(tmp_path)
    runner.fail = True
    with pytest.raises(OSError):
        runner.save_checkpoint(str(tmp_path), 'epoch_1.pth')
    assert list(tmp_path.iterdir()) == []
    runner.fail = False
    runner.save_checkpoint(str(tmp_path), 'epoch_1.pth')
    assert [p.name for p in tmp_path.iterdir()] == ['epoch_1.pth']


def test_failed_best_checkpoint_write_keeps_the_previous_best(tmp_path):
    runner = _FakeRunner(tmp_path)
    hook = SafeCheckpointHook(
        interval=1, save_best='mAP', rule='greater', out_dir=str(tmp_path))
    hook.before_train(runner)
    runner.epoch = 1
    hook._save_best_checkpoint(runner, {'mAP': 1.0})
    first = tmp_path / 'best_mAP_epoch_1.pth'
    assert first.read_bytes() == b'half a checkpoint and the rest'
    # a better score whose write fails: the previous best survives intact
    runner.epoch, runner.fail = 2, True
    with pytest.raises(OSError):
        hook._save_best_checkpoint(runner, {'mAP': 2.0})
    assert first.read_bytes() == b'half a checkpoint and the rest'
    # a worse score writes nothing and keeps it
    runner.epoch, runner.fail = 3, False
    hook.best_ckpt_path = str(first)
    runner.message_hub.update_info('best_score', 1.0)
    hook._save_best_checkpoint(runner, {'mAP': 0.5})
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]
    # a better score that is written replaces it
    runner.epoch = 4
    hook._save_best_checkpoint(runner, {'mAP': 3.0})
    assert sorted(p.name
                  for p in tmp_path.iterdir()) == ['best_mAP_epoch_4.pth']

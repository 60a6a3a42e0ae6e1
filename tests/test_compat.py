"""The stack fixes of mmfgssl.compat."""
import os

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import mmfgssl  # noqa: F401  (applies the fixes)
from mmfgssl.compat import UnsafeCheckpointError, adjust_hue


def _mmengine_like_checkpoint():
    """What Runner.save_checkpoint writes: tensors, a message hub with
    HistoryBuffers, numpy scalars and arrays."""
    hub = MessageHub.get_instance('compat_test')
    for step in range(3):
        hub.update_scalar('train/loss', 1.0 / (step + 1))
    hub.update_info('best_score', np.float64(0.5))
    return dict(
        meta=dict(
            epoch=3,
            iter=30,
            seed=0,
            cfg='model = dict()',
            hist=np.arange(4, dtype=np.float32)),
        state_dict={'w': torch.randn(3, 3)},
        message_hub=hub.state_dict(),
        optimizer={
            'state': {},
            'param_groups': [{
                'lr': 0.1
            }]
        })


def test_loads_mmengine_checkpoints_with_the_safe_loader(tmp_path):
    path = str(tmp_path / 'ok.pth')
    saved = _mmengine_like_checkpoint()
    torch.save(saved, path)
    loaded = _load_checkpoint(path, map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], saved['state_dict']['w'])
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(np.mean([1, 1 / 2, 1 / 3]))
    assert buffer.statistics('max') == 1.0
    assert loaded['meta']['hist'].tolist() == [0, 1, 2, 3]


class _RunsShell:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _GetattrEscape:
    """Abuses the getattr stand-in to reach something that is not a
    HistoryBuffer statistic."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


@pytest.mark.parametrize('payload', ['shell', 'getattr'])
def test_refuses_malicious_pickles(tmp_path, payload):
    marker = tmp_path / 'pwned'
    evil = (
        _RunsShell(str(marker)) if payload == 'shell' else _GetattrEscape())
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': evil}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(path, map_location='cpu')
    message = str(info.value)
    assert path in message
    assert ('system' in message) if payload == 'shell' else ('__init__'
                                                             in message)
    assert 'weights_only` set to `False`' not in message  # no bad advice
    assert not marker.exists()


def _numpy1_hue_reference(img, hue_factor):
    """mmcv's pillow adjust_hue as numpy 1 ran it (uint8 wrap-around)."""
    from PIL import Image
    hsv = np.array(Image.fromarray(img[..., ::-1]).convert('HSV'))
    shift = np.array(int(hue_factor * 255)).astype(np.uint8)  # wraps
    hsv[..., 0] = hsv[..., 0] + shift
    return np.array(Image.fromarray(hsv, 'HSV').convert('RGB'))[..., ::-1]


@pytest.mark.parametrize('hue_factor', [-0.5, -0.13, -0.01, 0.2])
@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_adjust_hue_handles_negative_factors(hue_factor, backend):
    img = np.random.default_rng(0).integers(0, 256, (9, 7, 3), np.uint8)
    out = adjust_hue(img, hue_factor, backend=backend)
    assert out.shape == img.shape and out.dtype == img.dtype
    if backend == 'pillow':
        assert np.array_equal(out, _numpy1_hue_reference(img, hue_factor))
    # shifting back by the opposite factor approximately restores the image
    back = adjust_hue(out, -hue_factor, backend=backend).astype(int)
    assert np.abs(back - img).mean() < 6


def test_mmpretrain_colorjitter_uses_the_fix():
    from mmpretrain.datasets.transforms import ColorJitter
    jitter = ColorJitter(hue=0.5)
    img = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    for seed in range(20):  # draws negative hue factors too
        np.random.seed(seed)
        jitter(dict(img=img.copy()))


def test_cpu_ddp_wrapper_gets_no_device_ids(monkeypatch):
    """Distributed without a GPU: DDP is built with device_ids=None."""
    from mmengine.runner import Runner
    import mmfgssl.compat as compat

    captured = {}

    def fake_wrap(self, model_wrapper_cfg, model):
        captured.update(model_wrapper_cfg)
        return model

    monkeypatch.setattr(compat, '_mmengine_wrap_model', fake_wrap)
    monkeypatch.setattr(torch.distributed, 'is_initialized', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)

    class FakeRunner:
        cfg = dict(find_unused_parameters=True)

    Runner.wrap_model(FakeRunner(), None, torch.nn.Linear(2, 2))
    assert captured == dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=True,
        device_ids=None)

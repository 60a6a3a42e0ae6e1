import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

import mmfgssl  # noqa: F401
from mmfgssl.engine import BFloat16OptimWrapper
from mmfgssl.engine import precision

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _step(wrapper, model, x):
    """One step under the wrapper's context: the output dtype, the loss and
    the gradient of the weight."""
    with wrapper.optim_context(model):
        out = model(x)
    loss = out.float().pow(2).mean()
    wrapper.backward(loss)
    grad = model.weight.grad.clone()
    wrapper.step()
    wrapper.zero_grad()
    return out.dtype, loss.item(), grad


def _pair(seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(16, 8)
    reference = nn.Linear(16, 8)
    reference.load_state_dict(model.state_dict())
    return model, reference, torch.randn(32, 16)


@pytest.mark.parametrize('config', ['resnet18_cpu', 'vit_cpu'])
def test_bfloat16_wrapper_autocasts_forward_and_keeps_float32_state(
        config, monkeypatch):
    monkeypatch.setattr(precision, 'bfloat16_is_fast', lambda device: True)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'generic_init', f'{config}.py'))
    model, reference, x = _pair()
    optim_cfg = dict(cfg.optim_wrapper.to_dict(), clip_grad=None)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        wrapper = build_optim_wrapper(model, optim_cfg)
        ref_wrapper = build_optim_wrapper(
            reference, dict(optim_cfg, type='OptimWrapper'))
    assert isinstance(wrapper, BFloat16OptimWrapper)
    dtype, loss, grad = _step(wrapper, model, x)
    ref_dtype, ref_loss, ref_grad = _step(ref_wrapper, reference, x)
    assert (dtype, ref_dtype) == (torch.bfloat16, torch.float32)
    # bfloat16 products: close to float32 (8-bit mantissa), but not equal
    assert loss == pytest.approx(ref_loss, rel=2e-2)
    torch.testing.assert_close(grad, ref_grad, rtol=5e-2, atol=5e-3)
    assert not torch.equal(grad, ref_grad)
    # parameters, gradients and optimiser state stay float32
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert grad.dtype == torch.float32
    for state in wrapper.optimizer.state.values():
        for value in state.values():
            if torch.is_tensor(value) and value.is_floating_point():
                assert value.dtype == torch.float32
    # outside the context the model computes in float32 again
    assert model(x).dtype == torch.float32


def test_bfloat16_wrapper_trains_in_float32_without_native_bfloat16(
        monkeypatch):
    monkeypatch.setattr(precision, 'bfloat16_is_fast', lambda device: False)
    model, reference, x = _pair(1)
    wrapper = BFloat16OptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    ref_wrapper = OptimWrapper(
        optimizer=torch.optim.SGD(reference.parameters(), lr=0.1))
    messages = []
    logger = MMLogger.get_current_instance()
    monkeypatch.setattr(logger, 'log',
                        lambda level, msg, *a, **k: messages.append(msg))
    for _ in range(2):
        dtype, loss, grad = _step(wrapper, model, x)
        _, ref_loss, ref_grad = _step(ref_wrapper, reference, x)
        assert dtype == torch.float32 and loss == ref_loss
        assert torch.equal(grad, ref_grad)
    assert torch.equal(model.weight, reference.weight)
    said = [m for m in messages if 'no native bfloat16' in m]
    assert len(said) == 1, messages


def test_bfloat16_is_fast_only_where_the_device_computes_it():
    assert precision.bfloat16_is_fast('cpu') == bool(
        torch.ops.mkldnn._is_mkldnn_bf16_supported())
    assert not precision.bfloat16_is_fast('mps')

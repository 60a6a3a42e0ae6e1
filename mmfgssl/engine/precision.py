"""Mixed precision in bfloat16 on any device, the CPU included."""
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS
from torch import nn


def bfloat16_is_fast(device: str) -> bool:
    """Whether ``device`` computes in bfloat16 natively: a CUDA device that
    supports it, or a CPU with bfloat16 instructions (AVX512-BF16, AMX) for
    oneDNN. Elsewhere autocast emulates bfloat16 and is slower than float32."""
    if device == 'cuda':
        return torch.cuda.is_bf16_supported()
    if device == 'cpu':
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


@OPTIM_WRAPPERS.register_module()
class BFloat16OptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward pass (data preprocessing, model and
    loss) runs under ``torch.autocast`` in bfloat16 on the model's device.

    mmengine's ``AmpOptimWrapper`` refuses to start without an accelerator;
    on a CPU with bfloat16 instructions autocast makes the convolutions and
    matrix products faster (``benchmarks/bf16_step_cost.py``). bfloat16 has
    float32's exponent range, so no loss scaling is needed: gradients,
    parameters and optimiser state stay float32, and everything else behaves
    as ``OptimWrapper``. The wrapper exists for speed, so on a device without
    native bfloat16 it trains in float32 and says so once.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._enabled = None  # decided at the first step, on its device

    @contextmanager
    def optim_context(self, model: nn.Module):
        device = next(model.parameters()).device.type
        if self._enabled is None:
            self._enabled = bfloat16_is_fast(device)
            if not self._enabled:
                print_log(
                    f'BFloat16OptimWrapper: this {device} has no native '
                    'bfloat16; training in float32', 'current')
        with super().optim_context(model), torch.autocast(
                device_type=device,
                dtype=torch.bfloat16,
                enabled=self._enabled):
            yield

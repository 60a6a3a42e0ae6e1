"""The DINO code's gradient handling between backward and optimiser step."""
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ..models.selfsup.dino import DINO


@HOOKS.register_module()
class DINOGradientHook(Hook):
    """What DINO's training loop (and the PARTICLE code's copy of it) does to
    the student's gradients after the backward pass:

    1. each parameter tensor's gradient is clipped to the norm
       ``clip_per_tensor`` on its own (DINO's ``clip_gradients``; mmengine's
       ``optim_wrapper.clip_grad`` clips the global norm of all of them
       instead), the student's only (backbone, head and, for PARTICLE-ViT,
       the projector; not the predictor);
    2. during the model's first ``freeze_last_layer`` epochs the gradients of
       the head's last layer are dropped (``grad = None``,
       ``cancel_gradients_last_layer``): the optimiser skips those
       parameters entirely, so they receive neither an update nor weight
       decay, and their optimiser moments stay unset.

    Both run in a step pre-hook of the torch optimiser, i.e. inside
    ``optimizer.step()``: after DDP has all-reduced the gradients (every
    process drops and clips the same values) and, under AMP, after the loss
    scaler has unscaled them (a step the scaler skips for inf/NaN gradients
    never reaches the hook).

    Args:
        clip_per_tensor: largest gradient norm of one tensor (3.0 in the
            PARTICLE code); ``None`` does not clip.
    """
    priority = 'NORMAL'

    def __init__(self, clip_per_tensor: Optional[float] = 3.0) -> None:
        if clip_per_tensor is not None and clip_per_tensor <= 0:
            raise ValueError(f'clip_per_tensor={clip_per_tensor} must be > 0')
        self.clip_per_tensor = clip_per_tensor
        self._handle = None

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not isinstance(model, DINO):
            raise TypeError('DINOGradientHook needs a DINO model (DINO, '
                            f'PARTICLEViT), but model.type is '
                            f'{type(model).__name__}: remove the hook from '
                            'custom_hooks')
        clipped = [p for p in model.student().parameters() if p.requires_grad]
        last_layer = list(model.head.last_layer.parameters())

        def before_step(optimizer, args, kwargs) -> None:
            if self.clip_per_tensor is not None:
                for param in clipped:
                    if param.grad is not None:
                        torch.nn.utils.clip_grad_norm_(param,
                                                       self.clip_per_tensor)
            if runner.epoch < model.freeze_last_layer:
                for param in last_layer:
                    param.grad = None

        self._handle = runner.optim_wrapper.optimizer.register_step_pre_hook(
            before_step)
        model.gradient_hook_installed = True

    def after_train(self, runner) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

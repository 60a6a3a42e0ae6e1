"""mmpretrain's VisionTransformer whose frozen stages stay frozen in
``train()``.

mmpretrain's ResNet re-freezes its frozen stages whenever the model is put
in training mode; its VisionTransformer freezes them once, at construction,
so the Runner's ``model.train()`` puts the patch embedding back in training
mode. A plain patch convolution does not mind, but the CPU ViT's
convolutional stem (:class:`ConvStem`) has batch norms, which would then
normalise by batch statistics and overwrite the checkpoint's running
statistics during a "frozen" probe: the probe would no longer read the
checkpoint's features.
"""
from mmpretrain.models import VisionTransformer
from mmpretrain.registry import MODELS


@MODELS.register_module()
class FrozenStagesViT(VisionTransformer):
    """``VisionTransformer`` (same arguments) that keeps its first
    ``frozen_stages`` layers, patch embedding and dropout in eval mode."""

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.frozen_stages > 0:
            self._freeze_stages()
        return self

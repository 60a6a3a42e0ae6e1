import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.registry import MODELS


class WeightNormLinear(nn.Module):
    """A bias-free linear layer with weight normalisation: each output row is
    ``weight_g * weight_v / ||weight_v||`` (``torch.nn.utils.weight_norm``
    with the same parameter names, written out so that the module deep-copies
    into an EMA teacher). ``fixed_norm`` freezes ``weight_g`` at 1 (DINO's
    ``norm_last_layer``): the prototypes stay unit vectors."""

    def __init__(self, in_features: int, out_features: int,
                 fixed_norm: bool) -> None:
        super().__init__()
        weight = nn.Linear(in_features, out_features, bias=False).weight
        self.weight_v = nn.Parameter(weight.detach().clone())
        self.weight_g = nn.Parameter(
            torch.ones(out_features, 1), requires_grad=not fixed_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight_g * F.normalize(self.weight_v, dim=1))


@MODELS.register_module()
class DINOHead(nn.Module):
    """DINO's projection head: an MLP (Linear-GELU ... Linear) to a bottleneck,
    L2-normalised, then weight-normalised prototypes (``last_layer``). The
    MLP's weights are drawn from a truncated normal (std 0.02), biases 0, as
    DINO initialises them.

    Args:
        in_channels: backbone feature size (384 for ViT-S).
        hid_channels: hidden width of the MLP (2048).
        bottleneck_channels: output of the MLP (256).
        out_channels: number of prototypes (65536).
        num_layers: linear layers of the MLP (3).
        norm_last_layer: fix the prototypes' norm to 1 (DINO's switch; the
            PARTICLE code uses False, DINO recommends True for ViT-B).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 65536,
                 hid_channels: int = 2048,
                 bottleneck_channels: int = 256,
                 num_layers: int = 3,
                 norm_last_layer: bool = True) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f'DINOHead num_layers={num_layers} must be >= 1')
        widths = [in_channels] + [hid_channels] * (num_layers - 1)
        layers = []
        for i, o in zip(widths, widths[1:] + [bottleneck_channels]):
            layers += [nn.Linear(i, o), nn.GELU()]
        self.mlp = nn.Sequential(*layers[:-1])
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        self.last_layer = WeightNormLinear(bottleneck_channels, out_channels,
                                           norm_last_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, in_channels)`` -> ``(N, out_channels)`` logits."""
        return self.last_layer(F.normalize(self.mlp(x), dim=-1))

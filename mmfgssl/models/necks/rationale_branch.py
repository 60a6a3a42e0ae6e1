import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class RationaleBranch(BaseModule):
    """LCR's GradCAM-fitting branch of limited capacity.

    A 1x1 convolution projects the feature map onto ``num_projections``
    maps, followed by BN and ReLU; the maximum over the projections is the
    (unnormalised) rationale map. Its few projections can only fit patterns
    that recur across images: the common rationales.

    Args:
        in_channels: channels of the backbone's last feature map.
        num_projections: K; 32 in the LCR code.
    """

    def __init__(self,
                 in_channels: int,
                 num_projections: int = 32,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.proj = nn.Conv2d(in_channels, num_projections, 1, bias=False)
        self.norm = build_norm_layer(norm_cfg, num_projections)[1]

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` -> ``(N, H, W)`` rationale map."""
        return torch.relu(self.norm(self.proj(feature_map))).amax(dim=1)

import torch.nn as nn
from mmpretrain.models.necks import NonLinearNeck
from mmpretrain.registry import MODELS


@MODELS.register_module()
class DropoutNonLinearNeck(NonLinearNeck):
    """mmpretrain's ``NonLinearNeck`` (fc-BN-[ReLU-fc-BN]...) with dropout
    after every hidden ReLU: the MLPs of the LoDisc code
    (Linear-BN-ReLU-Dropout(0.2)-...; MoCo v3's have no dropout).

    Args:
        dropout: drop probability after each hidden ReLU.
        **kwargs: ``NonLinearNeck`` arguments. The weights' names are
            ``NonLinearNeck``'s.
    """

    def __init__(self, dropout: float = 0.2, **kwargs) -> None:
        super().__init__(**kwargs)
        # NonLinearNeck applies self.relu exactly after each hidden BN
        self.relu = nn.Sequential(nn.ReLU(inplace=True), nn.Dropout(dropout))

from mmpretrain.models.selfsup import MoCo
from mmpretrain.registry import MODELS

from .base import FGSelfSupervisor


@MODELS.register_module()
class MoCoV2(FGSelfSupervisor, MoCo):
    """mmpretrain's MoCo (v1/v2), evaluated on its pooled backbone feature.

    The training forward is mmpretrain's unchanged; only the test-time
    representation and ``predict`` mode come from :class:`FGSelfSupervisor`.
    Note mmpretrain's EMA convention: ``momentum=0.001`` is the paper's
    ``m = 0.999``.
    """

from .backbones import SelfSupFeature
from .necks import RationaleBranch
from .selfsup import LCR, FGSelfSupervisor, MoCoV2

__all__ = [
    'SelfSupFeature', 'RationaleBranch', 'FGSelfSupervisor', 'LCR', 'MoCoV2'
]

from .backbones import SelfSupFeature
from .necks import RationaleBranch
from .selfsup import LCR, PARTICLE, DetCon, FGSelfSupervisor, MoCoV2

__all__ = [
    'SelfSupFeature', 'RationaleBranch', 'FGSelfSupervisor', 'DetCon', 'LCR',
    'MoCoV2', 'PARTICLE'
]

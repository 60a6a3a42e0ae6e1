from .backbones import SelfSupFeature
from .selfsup import FGSelfSupervisor, MoCoV2

__all__ = ['SelfSupFeature', 'FGSelfSupervisor', 'MoCoV2']

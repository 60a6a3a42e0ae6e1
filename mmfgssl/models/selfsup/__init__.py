from .base import FGSelfSupervisor
from .detcon import DetCon
from .lcr import LCR
from .mocov2 import MoCoV2
from .particle import PARTICLE

__all__ = ['FGSelfSupervisor', 'DetCon', 'LCR', 'MoCoV2', 'PARTICLE']

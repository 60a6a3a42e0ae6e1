from .base import FGSelfSupervisor
from .lcr import LCR
from .mocov2 import MoCoV2

__all__ = ['FGSelfSupervisor', 'LCR', 'MoCoV2']

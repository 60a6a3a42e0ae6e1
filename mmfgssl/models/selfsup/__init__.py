from .base import FGSelfSupervisor
from .mocov2 import MoCoV2

__all__ = ['FGSelfSupervisor', 'MoCoV2']

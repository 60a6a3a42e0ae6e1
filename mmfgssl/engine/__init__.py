from .gradients import DINOGradientHook
from .hooks import IterationSeedHook, seed_worker
from .part_maps import PartMapHook
from .precision import BFloat16OptimWrapper
from .runner import FGRunner, SafeCheckpointHook

__all__ = [
    'IterationSeedHook', 'seed_worker', 'PartMapHook', 'FGRunner',
    'SafeCheckpointHook', 'DINOGradientHook', 'BFloat16OptimWrapper'
]

from .hooks import IterationSeedHook
from .part_maps import PartMapHook

__all__ = ['IterationSeedHook', 'PartMapHook']

from .hooks import IterationSeedHook

__all__ = ['IterationSeedHook']

"""mmfgssl: self-supervised fine-grained visual recognition for OpenMMLab.

Importing the package applies the stack's compatibility fixes
(:mod:`mmfgssl.compat`) and registers every mmfgssl module into mmpretrain's
(and mmsegmentation's) registries. Configs load it with
``custom_imports = dict(imports=['mmfgssl'])``.
"""
from . import compat  # noqa: F401  (must come first)
from . import datasets, engine, evaluation, generic_init, models  # noqa: F401,E501

__version__ = '0.1.0'

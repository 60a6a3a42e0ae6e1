from .conv_stem import ConvStem
from .selfsup_feature import SelfSupFeature

__all__ = ['ConvStem', 'SelfSupFeature']

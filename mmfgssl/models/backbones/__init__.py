from .conv_stem import ConvStem
from .frozen_stages_vit import FrozenStagesViT
from .selfsup_feature import SelfSupFeature

__all__ = ['ConvStem', 'FrozenStagesViT', 'SelfSupFeature']

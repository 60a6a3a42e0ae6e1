from .selfsup_feature import SelfSupFeature

__all__ = ['SelfSupFeature']

from .backbones import SelfSupFeature
from .classifiers import FeatureDistilledClassifier
from .heads import AttributeClsHead
from .necks import DropoutNonLinearNeck, RationaleBranch
from .selfsup import (LCR, PARTICLE, DetCon, FGSelfSupervisor, LoDisc, MoCoV2,
                      FGMoCoV3)

__all__ = [
    'SelfSupFeature', 'FeatureDistilledClassifier', 'AttributeClsHead',
    'DropoutNonLinearNeck', 'RationaleBranch', 'FGSelfSupervisor', 'DetCon',
    'LCR', 'LoDisc', 'MoCoV2', 'FGMoCoV3', 'PARTICLE'
]

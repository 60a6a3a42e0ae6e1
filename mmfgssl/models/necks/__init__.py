from .dino_head import DINOHead
from .dropout_mlp import DropoutNonLinearNeck
from .feature_decoder import FeatureDecoder
from .rationale_branch import RationaleBranch

__all__ = [
    'DINOHead', 'DropoutNonLinearNeck', 'FeatureDecoder', 'RationaleBranch'
]

from .base import FGSelfSupervisor
from .detcon import DetCon
from .dino import DINO
from .lcr import LCR
from .lodisc import LoDisc
from .mocov2 import MoCoV2
from .mocov3 import FGMoCoV3
from .particle import PARTICLE
from .particle_vit import PARTICLEViT
from .simsiam import FGSimSiam
from .supervised import SupervisedBaseline
from .synthpairs import SynthPairs, SynthPairsSimSiam

__all__ = [
    'FGSelfSupervisor', 'DetCon', 'LCR', 'LoDisc', 'MoCoV2', 'FGMoCoV3',
    'PARTICLE', 'SupervisedBaseline', 'FGSimSiam', 'SynthPairs',
    'SynthPairsSimSiam', 'DINO', 'PARTICLEViT'
]

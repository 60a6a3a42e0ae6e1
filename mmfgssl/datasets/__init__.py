from .checks import check_dataset_roots, missing_dataset_roots
from .oid_aircraft import OIDAircraftImages
from .transforms import CentreCropFraction, CutBanner
from .part_maps import (LoadPartMap, MultiViewWithMasks, PartMapDataset,
                        part_map_path)
from .synthetic import PART_NAMES, make_synthetic_birds, render_bird
from .wrappers import (EvalSplitsDataset, build_holdout_split,
                       exclude_validation_images, holdout_indices)

__all__ = [
    'CentreCropFraction', 'CutBanner', 'OIDAircraftImages',
    'check_dataset_roots', 'missing_dataset_roots', 'LoadPartMap',
    'MultiViewWithMasks', 'PartMapDataset', 'part_map_path', 'PART_NAMES',
    'make_synthetic_birds', 'render_bird', 'EvalSplitsDataset',
    'build_holdout_split', 'exclude_validation_images', 'holdout_indices'
]

"""Up-front checks that the dataset roots named in a config exist.

mmpretrain's dataset classes fail deep inside annotation parsing when a root
is missing; ``check_dataset_roots`` walks a config before the Runner starts
and raises one error naming the config key, the path, the expected layout and
how to create the synthetic benchmark instead.
"""
import os.path as osp
from typing import Iterator, List, Tuple

SYNTHETIC_HINT = (
    'No real data? Generate the embedded synthetic fine-grained benchmark '
    '(CUB-200-2011 layout) with:\n'
    '    python tools/make_synthetic.py data/synthetic_birds\n'
    'and train with a *_synthetic.py config.')

# type -> (files or folders that must exist under data_root, layout help)
_LAYOUTS = {
    'CUB': ([('images.txt', ), ('image_class_labels.txt', ),
             ('train_test_split.txt', ),
             ('images', )], 'CUB_200_2011/{images/<class>/*.jpg, images.txt, '
            'image_class_labels.txt, train_test_split.txt} from '
            'https://www.vision.caltech.edu/datasets/cub_200_2011/'),
    'StanfordCars': ([('cars_annos.mat', 'devkit')],
                     'Stanford_Cars/{car_ims/, cars_annos.mat} or '
                     'Stanford_Cars/{cars_train/, cars_test/, devkit/'
                     'cars_{train,test}_annos*.mat}'),
    'FGVCAircraft':
    ([('data/images', ),
      ('data/variants.txt', )], 'fgvc-aircraft-2013b/data/{images/*.jpg, '
     'images_variant_{trainval,test}.txt, variants.txt} from '
     'https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/'),
}


def _dataset_nodes(node, key: str) -> Iterator[Tuple[str, dict]]:
    if isinstance(node, dict):
        if node.get('type') in _LAYOUTS and 'data_root' in node:
            yield key, node
        for k, v in node.items():
            yield from _dataset_nodes(v, f'{key}.{k}' if key else k)
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _dataset_nodes(v, f'{key}[{i}]')


def missing_dataset_roots(cfg) -> List[str]:
    """One message per dataset node of ``cfg`` whose files are missing."""
    problems = []
    for section in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for key, node in _dataset_nodes(cfg.get(section), section):
            required, layout = _LAYOUTS[node['type']]
            root = node['data_root']
            missing = [
                alternatives[0] for alternatives in required if not any(
                    osp.exists(osp.join(root, p)) for p in alternatives)
            ]
            if missing:
                problems.append(
                    f'{key}.data_root = {root!r} ({node["type"]}): missing '
                    f'{", ".join(missing)}. Expected layout: {layout}')
    return problems


def check_dataset_roots(cfg, config_path: str = '') -> None:
    """Raise ``FileNotFoundError`` listing every missing dataset root."""
    problems = missing_dataset_roots(cfg)
    if problems:
        where = f' in {config_path}' if config_path else ''
        raise FileNotFoundError(
            f'Dataset not found{where}:\n  ' + '\n  '.join(problems) +
            '\nPlace (or symlink) the dataset at that path, or change '
            'data_root in the config.\n' + SYNTHETIC_HINT)

"""Up-front checks of the datasets named in a config.

mmpretrain's dataset classes fail deep inside annotation parsing (or, worse,
an epoch later) when a root is missing or an annotation file is wrong;
``check_dataset_roots`` walks a config before the Runner starts and raises
one error naming the config key, the path, the expected layout and how to
create the synthetic benchmark instead. For the CUB-200-2011 layout (CUB and
the project's synthetic data sets) it also reads the annotation files:
undecodable text, labels outside the class list, ids that disagree between
files and an empty split are named with their file and line.
"""
import os.path as osp
from typing import Dict, Iterator, List, Optional, Tuple

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
    'OIDAircraftImages': ([
        ('train_oid.txt', ), ('data/images/aeroplane', )
    ], 'oid-aircraft-beta-1/{data/images/aeroplane/<id>.jpg,'
                          ' train_oid.txt (PARTICLE\'s list of 3,701 ids)}'),
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


def _dataset_nodes_of(cfg) -> Iterator[Tuple[str, dict]]:
    for section in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        yield from _dataset_nodes(cfg.get(section), section)


def missing_dataset_roots(cfg) -> List[str]:
    """One message per dataset node of ``cfg`` whose files are missing."""
    problems = []
    for key, node in _dataset_nodes_of(cfg):
        required, layout = _LAYOUTS[node['type']]
        root = node['data_root']
        missing = [
            alternatives[0] for alternatives in required
            if not any(osp.exists(osp.join(root, p)) for p in alternatives)
        ]
        if missing:
            problems.append(f'{key}.data_root = {root!r} ({node["type"]}): '
                            f'missing {", ".join(missing)}. Expected '
                            f'layout: {layout}')
    return problems


def _read_id_table(path: str) -> Dict[str, Tuple[int, str]]:
    """``id -> (line number, value)`` of a CUB annotation file."""
    table = {}
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as error:
        line = 1 + open(path, 'rb').read()[:error.start].count(b'\n')
        raise ValueError(f'{path}, line {line}: not UTF-8 text '
                         f'({error.reason} at byte {error.start})') from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f'{path}, line {number}: expected "<id> <value>"'
                             f', got {line!r}')
        if parts[0] in table:
            raise ValueError(f'{path}, line {number}: id {parts[0]} repeats '
                             f'line {table[parts[0]][0]}')
        table[parts[0]] = (number, parts[1].strip())
    return table


def _num_classes(node: dict) -> Optional[int]:
    classes = node.get('classes')
    if isinstance(classes, str) and osp.isfile(classes):
        with open(classes, encoding='utf-8') as f:
            return sum(1 for line in f if line.strip())
    if isinstance(classes, (list, tuple)):
        return len(classes)
    return 200 if classes is None else None  # CUB-200-2011's own list


def cub_annotation_problems(node: dict) -> List[str]:
    """What is wrong with the annotation files of a CUB-layout dataset node
    (empty if nothing)."""
    root = node['data_root']
    files = {
        name: osp.join(root, f'{name}.txt')
        for name in ('images', 'image_class_labels', 'train_test_split')
    }
    try:
        tables = {name: _read_id_table(p) for name, p in files.items()}
    except ValueError as error:
        return [str(error)]
    problems = []
    ids = set(tables['images'])
    for name in ('image_class_labels', 'train_test_split'):
        extra = set(tables[name]) ^ ids
        if extra:
            example = sorted(extra)[0]
            problems.append(f'{files[name]}: image ids differ from '
                            f'{files["images"]} (e.g. id {example})')
    num_classes = _num_classes(node)
    for number, value in tables['image_class_labels'].values():
        if not value.isdigit() or int(value) < 1 or (
                num_classes is not None and int(value) > num_classes):
            problems.append(
                f'{files["image_class_labels"]}, line {number}: class '
                f'{value!r} is not between 1 and {num_classes or "the number of classes"}'  # noqa: E501
                ' (labels are 1-based)')
            break
    split = node.get('split', 'train')
    flag = {'train': '1', 'test': '0'}.get(split)
    if flag is not None and not any(
            value == flag for _, value in tables['train_test_split'].values()):
        problems.append(f'{files["train_test_split"]}: no image is in the '
                        f'{split!r} split (no line ends in {flag})')
    return problems


def check_dataset_roots(cfg, config_path: str = '') -> None:
    """Raise ``FileNotFoundError`` listing every missing dataset root, or
    ``ValueError`` naming the annotation file and line at fault."""
    where = f' in {config_path}' if config_path else ''
    problems = missing_dataset_roots(cfg)
    if problems:
        raise FileNotFoundError(
            f'Dataset not found{where}:\n  ' + '\n  '.join(problems) +
            '\nPlace (or symlink) the dataset at that path, or change '
            'data_root in the config.\n' + SYNTHETIC_HINT)
    checked = set()
    for key, node in _dataset_nodes_of(cfg):
        identity = (node['type'], node['data_root'], node.get('split'))
        if node['type'] != 'CUB' or identity in checked:
            continue
        checked.add(identity)
        problems += [f'{key}: {p}' for p in cub_annotation_problems(node)]
    if problems:
        raise ValueError(f'Bad dataset annotations{where}:\n  ' +
                         '\n  '.join(problems))

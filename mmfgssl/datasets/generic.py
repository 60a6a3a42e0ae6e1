"""A generic synthetic data set that stands in for ImageNet.

Every paper in this toolbox starts from ImageNet weights: ImageNet's many
coarse categories are themselves made of parts (animals, birds among them,
vehicles, plants, buildings) and many of its classes differ in part details
(dog breeds, bird species), which is why its features help on CUB. This set
is built in that spirit: eight coarse kinds of part-composed objects, each
split into species that differ in small part details, drawn with the same
nuisances as the fine-grained benchmark (random colours, cluttered
backgrounds, pose, lighting).

None of its classes is a class of the benchmark, but its birds are made of
the same kinds of parts, as ImageNet's birds are made of the parts CUB's
birds show: every beak shape, crest and eye ring of the bird vocabulary
(:data:`~mmfgssl.datasets.synthetic.BEAKS`, ...), the benchmark's among
them, with wing marks the benchmark never uses (spots, dark tips). A generic
bird therefore never has a benchmark class's wing bars: the benchmark's
classes, and its wing-bar detail, are new to a model pre-trained here.

Each class is a set of part attributes (:func:`attribute_table`); the
generic initialisation (``tools/make_generic_init.py``) is supervised
pre-training that predicts them (``AttributeClsHead``).

Written in the CUB-200-2011 layout (``images/``, ``images.txt``, ...), so
mmpretrain's ``CUB`` reads it; image ``i`` of class ``c`` depends only on
``(seed, c, i)``.
"""
import itertools
import os
import os.path as osp
from typing import Callable, Dict, List, NamedTuple, Tuple

import numpy as np
from PIL import Image

from .drawing import (Sample, Shape, colour, ellipse, prepare_output_dir,
                      random_colour, record_entries, rectangle, render,
                      write_cub_layout)
from .synthetic import (BENCHMARK_ATTRIBUTES, BENCHMARK_STYLE, BirdClass,
                        bird_shapes, detail_box)

# Every part value of the bird vocabulary but the benchmark's wing bars.
GENERIC_BIRD_ATTRIBUTES = dict(
    beak=('cone', 'long', 'hooked', 'spoon', 'crossed', 'downcurved'),
    wing=('spots', 'tip'),
    crest=('plain', 'crested', 'plume'),
    eye_ring=('white', 'red', 'yellow', 'blue'))


class GenericClass(NamedTuple):
    kind: str
    details: Tuple[str, ...]

    @property
    def name(self) -> str:
        return '_'.join((self.kind, ) + self.details)


def _mark(shapes, rng):  # a detail in a random colour of its own
    return [Shape(p, 1, random_colour(rng)) for p in shapes]


# Each kind: (detail values per attribute, shapes(details, rng)). Part ids
# are irrelevant here (no part maps are written): 1 marks the object.
def _fish(details, rng):
    fin, marking = details
    body = random_colour(rng)
    shapes = [
        Shape(
            np.array([[-0.85, 0], [-1.5, -0.5], [-1.5, 0.5]]), 1,
            colour(np.array(body) * 0.8)),
        Shape(ellipse(0, 0, 1.0, 0.45), 1, body)
    ]
    if fin == 'spiky':
        xs = np.linspace(-0.6, 0.4, 7)
        top = [[x, -0.4 - 0.35 * (i % 2)] for i, x in enumerate(xs)]
        shapes += _mark([np.array([[-0.6, -0.35]] + top + [[0.4, -0.35]])],
                        rng)
    else:
        shapes += _mark([ellipse(-0.1, -0.4, 0.45, 0.25)], rng)
    if marking == 'stripes':
        shapes += _mark([
            rectangle(x - 0.06, -0.35, x + 0.06, 0.35) for x in (-0.4, 0, 0.4)
        ], rng)
    else:
        shapes += _mark([ellipse(-0.55, 0.05, 0.14, 0.14)], rng)
    shapes.append(Shape(ellipse(0.65, -0.1, 0.09, 0.09), 1, (10, 10, 10)))
    return shapes


def _beetle(details, rng):
    antenna, elytra = details
    body = random_colour(rng)
    legs = [
        rectangle(x - 0.03, -0.85, x + 0.03, 0.85) for x in (-0.4, 0, 0.35)
    ]
    shapes = [Shape(p, 1, (30, 30, 30)) for p in legs]
    shapes += [
        Shape(ellipse(-0.1, 0, 0.85, 0.55), 1, body),
        Shape(ellipse(0.9, 0, 0.3, 0.27), 1, colour(np.array(body) * 0.6)),
        Shape(rectangle(-0.95, -0.02, 0.7, 0.02), 1, (20, 20, 20)),
    ]
    feelers = [
        np.array([[1.1, -0.1], [1.6, -0.5], [1.62, -0.46], [1.13, -0.05]]),
        np.array([[1.1, 0.1], [1.6, 0.5], [1.62, 0.46], [1.13, 0.05]])
    ]
    shapes += [Shape(p, 1, (20, 20, 20)) for p in feelers]
    if antenna == 'clubbed':
        shapes += _mark([ellipse(1.6, y, 0.1, 0.1) for y in (-0.5, 0.5)], rng)
    if elytra == 'spotted':
        shapes += _mark([
            ellipse(x, y, 0.1, 0.1) for x in (-0.5, 0.1) for y in (-0.28, 0.28)
        ], rng)
    else:
        shapes += _mark([rectangle(-0.8, -0.3, 0.5, -0.2)], rng)
    return shapes


def _butterfly(details, rng):
    hind, fore = details
    wing = random_colour(rng)
    shapes = []
    if hind == 'tailed':
        shapes += [
            Shape(
                np.array([[-0.2, 0.5], [-0.75, 1.3], [-0.65, 1.35]]), 1, wing)
        ]
    shapes += [
        Shape(ellipse(-0.35, 0.45, 0.45, 0.4), 1, wing),
        Shape(ellipse(0.25, -0.35, 0.6, 0.55), 1, wing),
        Shape(ellipse(0, 0, 0.9, 0.1), 1, (30, 25, 20)),
    ]
    if fore == 'eyespot':
        shapes += _mark([ellipse(0.35, -0.45, 0.16, 0.16)], rng)
        shapes.append(Shape(ellipse(0.35, -0.45, 0.07, 0.07), 1, (5, 5, 5)))
    else:
        shapes += _mark([
            np.array([[-0.1, -0.2], [0.55, -0.85], [0.7, -0.75], [0.05, -0.1]])
        ], rng)
    return shapes


def _car(details, rng):
    hub, back = details
    body = random_colour(rng)
    shapes = [
        Shape(rectangle(-1.1, -0.25, 1.1, 0.3), 1, body),
        Shape(
            np.array([[-0.6, -0.25], [-0.4, -0.65], [0.45, -0.65],
                      [0.75, -0.25]]), 1, body),
        Shape(rectangle(-0.35, -0.58, 0.05, -0.3), 1, (150, 190, 220)),
        Shape(rectangle(0.12, -0.58, 0.55, -0.3), 1, (150, 190, 220)),
    ]
    if back == 'spoiler':
        shapes += _mark([rectangle(-1.2, -0.5, -0.85, -0.4)], rng)
    for x in (-0.65, 0.65):
        shapes.append(Shape(ellipse(x, 0.3, 0.27, 0.27), 1, (20, 20, 20)))
        if hub == 'spoked':
            shapes += _mark([
                rectangle(x - 0.2, 0.27, x + 0.2, 0.33),
                rectangle(x - 0.03, 0.1, x + 0.03, 0.5)
            ], rng)
        else:
            shapes += _mark([ellipse(x, 0.3, 0.14, 0.14)], rng)
    return shapes


def _plane(details, rng):
    engines, tail = details
    body = random_colour(rng)
    shapes = [
        Shape(
            np.array([[-0.1, 0], [-0.45, 0.9], [-0.3, 0.9], [0.3, 0.05]]), 1,
            colour(np.array(body) * 0.8)),
        Shape(ellipse(0, 0, 1.2, 0.16), 1, body),
    ]
    if tail == 't_tail':
        shapes += _mark([
            rectangle(-1.15, -0.55, -0.95, -0.1),
            rectangle(-1.35, -0.6, -0.85, -0.5)
        ], rng)
    else:
        shapes += _mark([
            np.array([[-1.2, -0.05], [-1.15, -0.55], [-1.0, -0.55],
                      [-0.85, -0.05]])
        ], rng)
    if engines == 'pods':
        shapes += _mark([ellipse(-0.15, 0.45, 0.2, 0.08)], rng)
    shapes.append(Shape(rectangle(0.75, -0.1, 0.95, -0.02), 1, (40, 40, 60)))
    return shapes


def _flower(details, rng):
    petals, centre = details
    petal = random_colour(rng)
    n = 5 if petals == 'five' else 8
    shapes = [
        Shape(rectangle(-0.04, 0.2, 0.04, 1.4), 1, (60, 120, 50)),
    ]
    for k in range(n):
        a = 2 * np.pi * k / n
        pts = ellipse(0.55, 0, 0.45, 0.18, 16) @ np.array(
            [[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
        shapes.append(Shape(pts, 1, petal))
    shapes.append(Shape(ellipse(0, 0, 0.25, 0.25), 1, random_colour(rng)))
    if centre == 'dotted':
        shapes += _mark([
            ellipse(0.15 * np.cos(a), 0.15 * np.sin(a), 0.05, 0.05, 8)
            for a in np.linspace(0, 2 * np.pi, 6, endpoint=False)
        ], rng)
    return shapes


def _house(details, rng):
    window, chimney = details
    wall = random_colour(rng)
    shapes = []
    if chimney == 'chimney':
        shapes += _mark([rectangle(0.35, -1.05, 0.55, -0.5)], rng)
    shapes += [
        Shape(
            np.array([[-1.0, -0.3], [0, -1.0], [1.0, -0.3]]), 1,
            random_colour(rng)),
        Shape(rectangle(-0.8, -0.3, 0.8, 0.8), 1, wall),
        Shape(rectangle(-0.15, 0.3, 0.15, 0.8), 1, (70, 45, 30)),
    ]
    for x in (-0.5, 0.5):
        if window == 'round':
            shapes.append(
                Shape(ellipse(x, 0.15, 0.14, 0.14), 1, (150, 190, 220)))
        else:
            shapes.append(
                Shape(
                    rectangle(x - 0.14, 0.01, x + 0.14, 0.29), 1,
                    (150, 190, 220)))
    return shapes


KINDS: Dict[str, Tuple[Tuple[Tuple[str, ...], ...], Callable]] = dict(
    fish=((('spiky', 'round'), ('stripes', 'spot')), _fish),
    beetle=((('straight', 'clubbed'), ('spotted', 'striped')), _beetle),
    butterfly=((('tailed', 'plain'), ('eyespot', 'band')), _butterfly),
    car=((('spoked', 'solid'), ('spoiler', 'plain')), _car),
    plane=((('pods', 'clean'), ('t_tail', 'low_tail')), _plane),
    flower=((('five', 'eight'), ('dotted', 'plain')), _flower),
    house=((('round', 'square'), ('chimney', 'flat')), _house),
)
# the benchmark's object size and nuisances, with more rotation; the birds'
# beaks 1.4 times their base size (the generic checkpoints of cache version
# v4 were made from these images; the benchmark's beaks have since grown)
GENERIC_STYLE = BENCHMARK_STYLE._replace(
    beak_scale=1.4,
    nuisance=BENCHMARK_STYLE.nuisance._replace(rotation=45.0))


def generic_classes() -> List[GenericClass]:
    """Every combination of the generic bird attributes (144 species, none a
    benchmark class), then 4 species of each other kind (172 classes)."""
    birds = [
        GenericClass('bird', combo)
        for combo in itertools.product(*GENERIC_BIRD_ATTRIBUTES.values())
    ]
    others = [
        GenericClass(kind, combo) for kind, (values, _) in KINDS.items()
        for combo in itertools.product(*values)
    ]
    return birds + others


def attribute_table() -> Tuple[List[str], np.ndarray]:
    """The part attributes of :func:`generic_classes`: their names
    (``'kind=fish'``, ``'bird.beak=spoon'``, ``'fish.1=stripes'``, ...) and
    the ``(num_classes, num_attributes)`` 0/1 table of each class's kind
    and part values. Every generic class is its set of attributes, so
    classifying the attributes learns the parts a class is made of."""
    names = [f'kind={kind}' for kind in ['bird', *KINDS]]
    names += [
        f'bird.{part}={value}'
        for part, values in GENERIC_BIRD_ATTRIBUTES.items() for value in values
    ]
    names += [
        f'{kind}.{slot}={value}' for kind, (slots, _) in KINDS.items()
        for slot, values in enumerate(slots) for value in values
    ]
    index = {name: i for i, name in enumerate(names)}
    classes = generic_classes()
    table = np.zeros((len(classes), len(names)), np.float32)
    for c, cls in enumerate(classes):
        keys = [f'kind={cls.kind}']
        if cls.kind == 'bird':
            keys += [
                f'bird.{part}={value}'
                for part, value in zip(GENERIC_BIRD_ATTRIBUTES, cls.details)
            ]
        else:
            keys += [
                f'{cls.kind}.{slot}={value}'
                for slot, value in enumerate(cls.details)
            ]
        table[c, [index[k] for k in keys]] = 1
    return names, table


def generic_shapes(cls: GenericClass, rng: np.random.Generator) -> List[Shape]:
    if cls.kind == 'bird':
        bird = BirdClass(*cls.details)
        shared = [
            a for a, values in BENCHMARK_ATTRIBUTES.items()
            if getattr(bird, a) in values
        ]
        if len(shared) == len(BENCHMARK_ATTRIBUTES):
            raise ValueError(f'{bird} is a class of the benchmark')
        return bird_shapes(bird, rng, GENERIC_STYLE.detail_scale,
                           GENERIC_STYLE.beak_scale)
    return KINDS[cls.kind][1](cls.details, rng)


def make_generic_objects(out_dir: str,
                         images_per_class: int = 45,
                         train_per_class: int = 40,
                         image_size: int = 96,
                         seed: int = 0,
                         overwrite: bool = False) -> Dict[str, int]:
    """Write the generic data set (CUB-200-2011 layout) to ``out_dir``;
    the held-out images (``train_test_split.txt`` 0) monitor its
    pre-training. Returns the counts."""
    if not 0 < train_per_class < images_per_class:
        raise ValueError(f'train_per_class={train_per_class} must be '
                         'between 1 and images_per_class-1')
    classes = generic_classes()
    prepare_output_dir(
        out_dir, overwrite, 'generic_objects',
        dict(
            images_per_class=images_per_class,
            train_per_class=train_per_class,
            image_size=image_size,
            seed=seed))
    record_entries(out_dir, ['images'])
    samples = []
    for c, cls in enumerate(classes):
        class_dir = f'{c + 1:03d}.{cls.name}'
        os.makedirs(osp.join(out_dir, 'images', class_dir), exist_ok=True)
        for i in range(images_per_class):
            rng = np.random.default_rng([seed, c, i])
            img, _ = render(
                generic_shapes(cls, rng), image_size,
                GENERIC_STYLE.object_scale, rng, GENERIC_STYLE.nuisance,
                detail_box(GENERIC_STYLE.detail_scale,
                           GENERIC_STYLE.beak_scale)
                if cls.kind == 'bird' else None)
            rel = f'{class_dir}/{cls.name}_{i + 1:04d}.jpg'
            Image.fromarray(img).save(
                osp.join(out_dir, 'images', rel), quality=95)
            samples.append(Sample(rel, c, i < train_per_class))
    write_cub_layout(
        out_dir, [f'{c + 1:03d}.{cls.name}' for c, cls in enumerate(classes)],
        samples, {})
    n_train = sum(s.is_train for s in samples)
    return dict(
        train=n_train, test=len(samples) - n_train, classes=len(classes))

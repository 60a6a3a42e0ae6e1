"""The embedded synthetic fine-grained benchmark ("synthetic birds").

Every image shows one procedurally drawn bird made of parts. The class is
decided only by four small local details: beak shape, wing-bar pattern, crest
and eye-ring colour. Everything with large pixel variance is independent of
the class: body colour (one palette shared by all classes), a cluttered
textured background, position, scale, rotation, facing direction, tail
shape, beak colour and lighting. Instance discrimination on global
appearance therefore learns the nuisances; a method must find the parts to
separate the classes. Between the two most different classes 4.8 % of the
pixels change (47 % of the pixels of the bird with the smaller parts). The
details are never cut off by the image border (:func:`detail_box`), so every
image shows its class.

The bird is drawn from a vocabulary of part shapes (:data:`BEAKS`,
:data:`WING_MARKS`, :data:`CRESTS`, :data:`EYE_RINGS`). The benchmark's
classes combine the values in :data:`BENCHMARK_ATTRIBUTES`; the generic
data set that stands in for ImageNet (``generic.py``) draws birds with the
same beaks, crests and eye rings but other wing marks, so the two never
share a class.

The dataset is written in the CUB-200-2011 folder layout, so mmpretrain's
``CUB`` dataset reads it unchanged, plus an exact part label map per image::

    <root>/images/<class_dir>/<name>.jpg
    <root>/parts/<class_dir>/<name>.png      # 0 = background, see PART_NAMES
    <root>/images.txt  image_class_labels.txt  train_test_split.txt
    <root>/classes.txt bounding_boxes.txt  parts.txt  attributes.txt

Generation is deterministic: image ``i`` of class ``c`` depends only on
``(seed, c, i)``, so changing the dataset size keeps the common images.
"""
import functools
import itertools
import os
import os.path as osp
from typing import Callable, Dict, List, NamedTuple, Tuple

import numpy as np
from PIL import Image

from .drawing import (Nuisance, Sample, Shape, colour, ellipse,
                      holds_generated, prepare_output_dir, record_entries,
                      rectangle, render, write_cub_layout)

PART_NAMES = ('background', 'body', 'head', 'beak', 'wing', 'tail', 'eye',
              'crest')
PART_IDS = {name: i for i, name in enumerate(PART_NAMES)}

# The parts that carry the class-deciding details: always inside the image.
DETAIL_PARTS = ('head', 'beak', 'wing', 'eye', 'crest')

HEAD = (0.95, -0.45, 0.38)  # head centre x, y and radius
EYE = (HEAD[0] + 0.35 * HEAD[2], HEAD[1] - 0.15 * HEAD[2])


class BirdStyle(NamedTuple):
    """Size of the bird and of its class-deciding details, and how much the
    nuisances vary."""
    # object frame (body centred at the origin, facing +x, unit ~ body
    # half-length) to pixels: object_scale * image size * scale jitter
    object_scale: float = 0.24
    # beak, eye ring, crest and wing marks: 1.5 times their base size, the
    # beak 2.6 times more. The beak is the detail the CPU backbones learn
    # last: with it 1.4 times larger, a supervised model at the budget
    # reads wing bars (100 %), eye ring (99 %) and crest (92 %) but the
    # beak only 65 % of the time (validation split, seed 0), and the bound
    # stays near 60 %; at 2.6 the beak is 88 % and the bound 83 %.
    detail_scale: float = 1.5
    beak_scale: float = 2.6
    nuisance: Nuisance = Nuisance()


# --------------------------------------------------------- part vocabulary
def _beak_cone(x0, hy, r):  # short and deep
    return np.array([[x0, hy - 0.45 * r], [x0 + 0.75 * r, hy],
                     [x0, hy + 0.45 * r]])


def _beak_long(x0, hy, r):  # long and thin
    return np.array([[x0, hy - 0.2 * r], [x0 + 1.9 * r, hy],
                     [x0, hy + 0.2 * r]])


def _beak_hooked(x0, hy, r):  # upper mandible curving down past the tip
    return np.array([[x0, hy - 0.38 * r], [x0 + 0.8 * r, hy - 0.3 * r],
                     [x0 + 1.25 * r, hy + 0.05 * r],
                     [x0 + 1.1 * r, hy + 0.6 * r],
                     [x0 + 0.8 * r, hy + 0.05 * r], [x0, hy + 0.3 * r]])


def _beak_spoon(x0, hy, r):  # thin shaft widening into a round tip
    return np.concatenate([
        np.array([[x0, hy - 0.12 * r], [x0 + 0.9 * r, hy - 0.1 * r]]),
        ellipse(x0 + 1.2 * r, hy, 0.32 * r, 0.3 * r,
                12)[[9, 10, 11, 0, 1, 2, 3]],
        np.array([[x0 + 0.9 * r, hy + 0.1 * r], [x0, hy + 0.12 * r]])
    ])


def _beak_crossed(x0, hy, r):  # mandibles crossing at the tip
    return np.array([[x0, hy - 0.25 * r], [x0 + 0.9 * r, hy + 0.35 * r],
                     [x0 + 0.7 * r, hy + 0.05 * r],
                     [x0 + 0.9 * r, hy - 0.3 * r], [x0, hy + 0.25 * r]])


def _beak_downcurved(x0, hy, r):  # long, thin, curving down
    return np.array([[x0, hy - 0.15 * r], [x0 + 0.9 * r, hy - 0.05 * r],
                     [x0 + 1.6 * r, hy + 0.45 * r],
                     [x0 + 1.5 * r, hy + 0.55 * r],
                     [x0 + 0.8 * r, hy + 0.15 * r], [x0, hy + 0.15 * r]])


BEAKS: Dict[str, Callable] = dict(
    cone=_beak_cone,
    long=_beak_long,
    hooked=_beak_hooked,
    spoon=_beak_spoon,
    crossed=_beak_crossed,
    downcurved=_beak_downcurved)


def _bars(*centres):  # light stripes across the wing (x in [-0.75, 0.45])
    return lambda d: [
        rectangle(c - 0.07 * d, -0.32, c + 0.07 * d, 0.18) for c in centres
    ]


# wing marks drawn d times their base size
WING_MARKS: Dict[str, Callable] = dict(
    none=lambda d: [],
    single=_bars(-0.05),
    double=_bars(-0.3, 0.1),
    spots=lambda d:
    [ellipse(x, -0.1, 0.07 * d, 0.07 * d, 10) for x in (-0.45, -0.15, 0.15)],
    tip=lambda d: [
        np.array([[-0.77, -0.2], [-0.77 + 0.32 * d, -0.3],
                  [-0.77 + 0.32 * d, 0.15], [-0.77, 0.05]])
    ])


def _crest(hx, hy, r):
    return np.array([[hx - 0.5 * r,
                      hy - 0.8 * r], [hx - 0.9 * r, hy - 1.9 * r],
                     [hx - 0.05 * r, hy - 1.0 * r],
                     [hx + 0.1 * r, hy - 1.75 * r],
                     [hx + 0.45 * r, hy - 0.85 * r]])


def _plume(hx, hy, r):  # one long thin feather sweeping back
    return np.array([[hx - 0.2 * r,
                      hy - 0.9 * r], [hx - 1.6 * r, hy - 1.6 * r],
                     [hx - 1.5 * r, hy - 1.45 * r],
                     [hx + 0.1 * r, hy - 0.8 * r]])


CRESTS: Dict[str, Callable] = dict(plain=None, crested=_crest, plume=_plume)
EYE_RINGS: Dict[str, Tuple[int, int, int]] = dict(
    white=(245, 245, 245),
    red=(220, 20, 30),
    yellow=(235, 205, 20),
    blue=(40, 90, 230))

# The benchmark's classes combine these values (36 combinations).
BENCHMARK_ATTRIBUTES = dict(
    beak=('cone', 'long', 'hooked'),
    wing=('none', 'single', 'double'),
    crest=('plain', 'crested'),
    eye_ring=('white', 'red'))

# Nuisance palettes, shared by every class.
BODY_PALETTE = ((120, 80, 50), (70, 90, 140), (150, 150, 60), (90, 120, 70),
                (160, 70, 70), (110, 110, 120), (60, 60, 60), (170, 120, 80))
BEAK_PALETTE = ((40, 35, 30), (230, 180, 40), (210, 110, 40))
TAILS = (
    np.array([[-0.8, -0.15], [-1.75, -0.45], [-1.75, 0.2], [-0.8, 0.2]]),
    np.array([[-0.8, -0.1], [-2.0, -0.2], [-2.0, 0.05], [-0.8, 0.15]]),
    np.array([[-0.8, -0.1], [-1.6, -0.5], [-1.35, -0.05], [-1.6, 0.4],
              [-0.8, 0.15]]),
)
BENCHMARK_STYLE = BirdStyle()


class BirdClass(NamedTuple):
    beak: str
    wing: str
    crest: str
    eye_ring: str

    @property
    def name(self) -> str:
        return '{}_beak_{}_wing_{}_{}_ring'.format(*self)


def all_bird_classes() -> List[BirdClass]:
    """Every combination of the benchmark's four details (36)."""
    return [
        BirdClass(*combo)
        for combo in itertools.product(*BENCHMARK_ATTRIBUTES.values())
    ]


def choose_classes(num_classes: int, seed: int) -> List[BirdClass]:
    """A seeded subset of the attribute combinations, in a fixed order."""
    classes = all_bird_classes()
    if not 2 <= num_classes <= len(classes):
        raise ValueError(f'num_classes={num_classes}: the synthetic birds '
                         f'have between 2 and {len(classes)} classes')
    order = np.random.default_rng(seed).permutation(len(classes))
    return [classes[i] for i in sorted(order[:num_classes])]


def bird_shapes(cls: BirdClass,
                rng: np.random.Generator,
                detail_scale: float = 1.0,
                beak_scale: float = 1.0) -> List[Shape]:
    """The bird's polygons, back to front, in object coordinates; the
    class-deciding details are drawn ``detail_scale`` times their base
    size, the beak ``beak_scale`` times more."""
    for kind, table in (('beak', BEAKS), ('wing', WING_MARKS),
                        ('crest', CRESTS), ('eye_ring', EYE_RINGS)):
        if getattr(cls, kind) not in table:
            raise ValueError(f'unknown {kind} {getattr(cls, kind)!r}; known: '
                             f'{sorted(table)}')
    body = np.array(BODY_PALETTE[rng.integers(len(BODY_PALETTE))])
    body = np.clip(body + rng.integers(-15, 16, 3), 0, 255)
    head = (
        body if rng.random() < 0.5 else np.array(BODY_PALETTE[rng.integers(
            len(BODY_PALETTE))]))
    beak = BEAK_PALETTE[rng.integers(len(BEAK_PALETTE))]
    hx, hy, r = HEAD
    d = detail_scale
    shapes = [
        Shape(TAILS[rng.integers(len(TAILS))], PART_IDS['tail'],
              colour(body * 0.8)),
        Shape(ellipse(0, 0, 1.0, 0.55), PART_IDS['body'], colour(body)),
        Shape(
            ellipse(-0.15, -0.07, 0.62, 0.27), PART_IDS['wing'],
            colour(body * 0.7)),
    ]
    shapes += [
        Shape(p, PART_IDS['wing'], (225, 220, 200))
        for p in WING_MARKS[cls.wing](d)
    ]
    if CRESTS[cls.crest] is not None:
        shapes.append(
            Shape(CRESTS[cls.crest](hx, hy, r * d), PART_IDS['crest'],
                  colour(head * 0.75)))
    shapes += [
        Shape(ellipse(hx, hy, r, r), PART_IDS['head'], colour(head)),
        Shape(BEAKS[cls.beak](hx + 0.8 * r, hy, r * d * beak_scale),
              PART_IDS['beak'], beak),
        Shape(
            ellipse(*EYE, 0.36 * r * d, 0.36 * r * d), PART_IDS['eye'],
            EYE_RINGS[cls.eye_ring]),
        Shape(
            ellipse(*EYE, 0.16 * r, 0.16 * r), PART_IDS['eye'], (10, 10, 10)),
    ]
    return shapes


@functools.lru_cache()
def detail_box(detail_scale: float, beak_scale: float) -> np.ndarray:
    """Corners, in object coordinates, of the box that holds the
    :data:`DETAIL_PARTS` of every bird the vocabulary can draw at these
    scales: the same for every class, so keeping it inside the image says
    nothing about the class."""
    ids = [PART_IDS[p] for p in DETAIL_PARTS]
    points = np.concatenate([
        shape.points
        for beak, crest, wing in itertools.product(BEAKS, CRESTS, WING_MARKS)
        for shape in bird_shapes(
            BirdClass(beak, wing, crest, 'white'), np.random.default_rng(0),
            detail_scale, beak_scale) if shape.part in ids
    ])
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def render_bird(
        cls: BirdClass,
        size: int,
        rng: np.random.Generator,
        style: BirdStyle = BENCHMARK_STYLE) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one image of class ``cls``.

    Returns an RGB uint8 image ``(size, size, 3)`` and its part label map
    ``(size, size)`` (uint8, ids of :data:`PART_NAMES`). Both are rasterised
    from the same polygons, so the label map is exact. The head, beak, eye,
    crest and wing are always inside the image (:func:`detail_box`).
    """
    return render(
        bird_shapes(cls, rng, style.detail_scale, style.beak_scale), size,
        style.object_scale, rng, style.nuisance,
        detail_box(style.detail_scale, style.beak_scale))


# ------------------------------------------------------------------ writing
def _bbox(labels: np.ndarray) -> Tuple[int, int, int, int]:
    ys, xs = np.nonzero(labels)
    return (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
            int(ys.max() - ys.min() + 1))


def make_synthetic_birds(out_dir: str,
                         num_classes: int = 16,
                         images_per_class: int = 80,
                         image_size: int = 96,
                         train_per_class: int = 40,
                         seed: int = 0,
                         overwrite: bool = False,
                         style: BirdStyle = BENCHMARK_STYLE,
                         keep_current: bool = False) -> Dict[str, int]:
    """Write the synthetic fine-grained benchmark to ``out_dir``.

    Args:
        out_dir: dataset root to create (CUB-200-2011 layout).
        num_classes: number of classes, 2 to 36 attribute combinations.
        images_per_class: images drawn per class.
        image_size: side of the square images in pixels.
        train_per_class: images per class flagged as training in
            ``train_test_split.txt``; the rest are test images.
        seed: everything is determined by it.
        overwrite: replace a data set an mmfgssl generator wrote at
            ``out_dir`` (any other existing folder is refused).
        style: sizes and nuisance strengths (the benchmark's by default).
        keep_current: write nothing if ``out_dir`` already holds this exact
            data set, complete (the same arguments and style);
            a data set written with other settings is still replaced only
            with ``overwrite``.

    Returns:
        ``dict(train=..., test=..., classes=..., written=...)``: counts,
        and whether anything was written.
    """
    if not 0 < train_per_class < images_per_class:
        raise ValueError(f'train_per_class={train_per_class} must be '
                         f'between 1 and images_per_class-1 '
                         f'({images_per_class - 1})')
    if image_size < 48:
        raise ValueError(f'image_size={image_size}: below 48 px the part '
                         'details are no longer drawable')
    classes = choose_classes(num_classes, seed)
    settings = dict(
        num_classes=num_classes,
        images_per_class=images_per_class,
        image_size=image_size,
        train_per_class=train_per_class,
        seed=seed,
        style=style._asdict())
    n_train = num_classes * train_per_class
    counts = dict(
        train=n_train,
        test=num_classes * images_per_class - n_train,
        classes=num_classes)
    if keep_current and holds_generated(out_dir, 'synthetic_birds',
                                        settings):
        return dict(counts, written=False)
    prepare_output_dir(out_dir, overwrite, 'synthetic_birds', settings)
    record_entries(out_dir, ['images', 'parts'])
    samples, boxes = [], []
    for c, cls in enumerate(classes):
        class_dir = f'{c + 1:03d}.{cls.name}'
        for folder in ('images', 'parts'):
            os.makedirs(osp.join(out_dir, folder, class_dir), exist_ok=True)
        for i in range(images_per_class):
            img, part_map = render_bird(cls, image_size,
                                        np.random.default_rng([seed, c, i]),
                                        style)
            stem = f'{cls.name}_{i + 1:04d}'
            Image.fromarray(img).save(
                osp.join(out_dir, 'images', class_dir, stem + '.jpg'),
                quality=95)
            Image.fromarray(part_map).save(
                osp.join(out_dir, 'parts', class_dir, stem + '.png'))
            samples.append(
                Sample(f'{class_dir}/{stem}.jpg', c, i < train_per_class))
            boxes.append(_bbox(part_map))
    write_cub_layout(
        out_dir, [f'{c + 1:03d}.{cls.name}' for c, cls in enumerate(classes)],
        samples, {
            'bounding_boxes.txt': [
                f'{i} {x} {y} {w} {h}'
                for i, (x, y, w, h) in enumerate(boxes, 1)
            ],
            'parts.txt': [f'{i} {n}' for i, n in enumerate(PART_NAMES)],
            'attributes.txt':
            [f'{c + 1} {" ".join(cls)}' for c, cls in enumerate(classes)],
        })
    return dict(counts, written=True)

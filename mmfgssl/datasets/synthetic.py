"""The embedded synthetic fine-grained benchmark ("synthetic birds").

Every image shows one procedurally drawn bird made of parts. The class is
decided only by four small local details: beak shape, wing-bar pattern, crest
and eye-ring colour, which together cover about 1-2 % of the pixels. Everything
with large pixel variance is independent of the class: body colour (one palette
shared by all classes), a cluttered textured background, position, scale,
rotation, facing direction, tail shape, beak colour and lighting. Instance
discrimination on global appearance therefore learns the nuisances; a method
must find the parts to separate the classes.

The dataset is written in the CUB-200-2011 folder layout, so mmpretrain's
``CUB`` dataset reads it unchanged, plus an exact part label map per image::

    <root>/images/<class_dir>/<name>.jpg
    <root>/parts/<class_dir>/<name>.png      # 0 = background, see PART_NAMES
    <root>/images.txt  image_class_labels.txt  train_test_split.txt
    <root>/classes.txt bounding_boxes.txt  parts.txt  attributes.txt

Generation is deterministic: image ``i`` of class ``c`` depends only on
``(seed, c, i)``, so changing the dataset size keeps the common images.
"""
import itertools
import math
import os
import os.path as osp
import shutil
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

PART_NAMES = ('background', 'body', 'head', 'beak', 'wing', 'tail', 'eye',
              'crest')
PART_IDS = {name: i for i, name in enumerate(PART_NAMES)}

BEAK_SHAPES = ('cone', 'long', 'hooked')
WING_BARS = ('none', 'single', 'double')
CRESTS = ('plain', 'crested')
EYE_RINGS = ('white', 'red')
EYE_RING_RGB = {'white': (245, 245, 245), 'red': (220, 20, 30)}

# Nuisance palettes, shared by every class.
BODY_PALETTE = ((120, 80, 50), (70, 90, 140), (150, 150, 60), (90, 120, 70),
                (160, 70, 70), (110, 110, 120), (60, 60, 60), (170, 120, 80))
BEAK_PALETTE = ((40, 35, 30), (230, 180, 40), (210, 110, 40))

# Object frame: body centred at the origin, bird facing +x, unit ~ body
# half-length. Scaled to pixels by OBJECT_SCALE * image_size * scale jitter.
OBJECT_SCALE = 0.26


class BirdClass(NamedTuple):
    beak: str
    wing_bar: str
    crest: str
    eye_ring: str

    @property
    def name(self) -> str:
        return '{}_beak_{}_bar_{}_{}_ring'.format(*self)


def all_bird_classes() -> List[BirdClass]:
    """Every combination of the four discriminative details (36)."""
    return [
        BirdClass(*combo) for combo in itertools.product(
            BEAK_SHAPES, WING_BARS, CRESTS, EYE_RINGS)
    ]


def choose_classes(num_classes: int, seed: int) -> List[BirdClass]:
    """A seeded subset of the attribute combinations, in a fixed order."""
    classes = all_bird_classes()
    if not 2 <= num_classes <= len(classes):
        raise ValueError(f'num_classes={num_classes}: the synthetic birds '
                         f'have between 2 and {len(classes)} classes')
    order = np.random.default_rng(seed).permutation(len(classes))
    return [classes[i] for i in sorted(order[:num_classes])]


# ----------------------------------------------------------------- geometry
def _ellipse(cx, cy, rx, ry, n=28):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _beak_polygon(shape: str, hx: float, hy: float, head_r: float):
    """Beak attached to the front of the head at (hx + head_r, hy)."""
    x0 = hx + 0.8 * head_r
    if shape == 'cone':  # short and deep
        return np.array([[x0, hy - 0.45 * head_r], [x0 + 0.75 * head_r, hy],
                         [x0, hy + 0.45 * head_r]])
    if shape == 'long':  # long and thin
        return np.array([[x0, hy - 0.2 * head_r], [x0 + 1.9 * head_r, hy],
                         [x0, hy + 0.2 * head_r]])
    # hooked: medium length, upper mandible curving down past the tip
    return np.array([[x0, hy - 0.38 * head_r],
                     [x0 + 0.8 * head_r, hy - 0.3 * head_r],
                     [x0 + 1.25 * head_r, hy + 0.05 * head_r],
                     [x0 + 1.1 * head_r, hy + 0.6 * head_r],
                     [x0 + 0.8 * head_r, hy + 0.05 * head_r],
                     [x0, hy + 0.3 * head_r]])


def _tail_polygon(kind: int):
    if kind == 0:  # wedge
        return np.array([[-0.8, -0.15], [-1.75, -0.45], [-1.75, 0.2],
                         [-0.8, 0.2]])
    if kind == 1:  # long narrow
        return np.array([[-0.8, -0.1], [-2.0, -0.2], [-2.0, 0.05],
                         [-0.8, 0.15]])
    return np.array([
        [-0.8, -0.1],
        [-1.6, -0.5],
        [-1.35, -0.05],  # forked
        [-1.6, 0.4],
        [-0.8, 0.15]
    ])


def _wing_bar_polygons(bar: str) -> List[np.ndarray]:
    """Light stripes across the wing (wing spans x in [-0.75, 0.45])."""
    centres = {'none': (), 'single': (-0.05, ), 'double': (-0.3, 0.1)}[bar]
    return [
        np.array([[c - 0.07, -0.32], [c + 0.07, -0.32], [c + 0.07, 0.18],
                  [c - 0.07, 0.18]]) for c in centres
    ]


def _crest_polygon(hx, hy, head_r):
    return np.array([[hx - 0.5 * head_r, hy - 0.8 * head_r],
                     [hx - 0.9 * head_r, hy - 1.9 * head_r],
                     [hx - 0.05 * head_r, hy - 1.0 * head_r],
                     [hx + 0.1 * head_r, hy - 1.75 * head_r],
                     [hx + 0.45 * head_r, hy - 0.85 * head_r]])


class _Shape(NamedTuple):
    points: np.ndarray  # (N, 2) in object coordinates
    part: int
    rgb: Tuple[int, int, int]


def _bird_shapes(cls: BirdClass, rng: np.random.Generator) -> List[_Shape]:
    """The bird's polygons, back to front, in object coordinates."""
    body_rgb = np.array(BODY_PALETTE[rng.integers(len(BODY_PALETTE))])
    body_rgb = np.clip(body_rgb + rng.integers(-15, 16, 3), 0, 255)
    head_rgb = (
        body_rgb if rng.random() < 0.5 else np.array(BODY_PALETTE[rng.integers(
            len(BODY_PALETTE))]))
    wing_rgb = np.clip(body_rgb * 0.7, 0, 255)
    tail_rgb = np.clip(body_rgb * 0.8, 0, 255)
    bar_rgb = (225, 220, 200)
    beak_rgb = BEAK_PALETTE[rng.integers(len(BEAK_PALETTE))]

    def rgb(c):
        return tuple(int(v) for v in c)

    hx, hy, head_r = 0.95, -0.45, 0.38
    shapes = [
        _Shape(
            _tail_polygon(int(rng.integers(3))), PART_IDS['tail'],
            rgb(tail_rgb)),
        _Shape(_ellipse(0, 0, 1.0, 0.55), PART_IDS['body'], rgb(body_rgb)),
        _Shape(
            _ellipse(-0.15, -0.07, 0.62, 0.27), PART_IDS['wing'],
            rgb(wing_rgb)),
    ]
    shapes += [
        _Shape(p, PART_IDS['wing'], bar_rgb)
        for p in _wing_bar_polygons(cls.wing_bar)
    ]
    if cls.crest == 'crested':
        shapes.append(
            _Shape(
                _crest_polygon(hx, hy, head_r), PART_IDS['crest'],
                rgb(np.clip(head_rgb * 0.75, 0, 255))))
    shapes += [
        _Shape(
            _ellipse(hx, hy, head_r, head_r), PART_IDS['head'], rgb(head_rgb)),
        _Shape(
            _beak_polygon(cls.beak, hx, hy, head_r), PART_IDS['beak'],
            beak_rgb),
        _Shape(
            _ellipse(hx + 0.35 * head_r, hy - 0.15 * head_r, 0.36 * head_r,
                     0.36 * head_r), PART_IDS['eye'],
            EYE_RING_RGB[cls.eye_ring]),
        _Shape(
            _ellipse(hx + 0.35 * head_r, hy - 0.15 * head_r, 0.16 * head_r,
                     0.16 * head_r), PART_IDS['eye'], (10, 10, 10)),
    ]
    return shapes


# ---------------------------------------------------------------- rendering
def _background(size: int, rng: np.random.Generator) -> Image.Image:
    """Smooth colour gradient plus random clutter and texture noise."""
    c0, c1 = rng.integers(40, 230, (2, 3))
    t = np.linspace(0, 1, size)[:, None, None]
    grad = c0 * (1 - t) + c1 * t
    img = np.broadcast_to(grad, (size, size, 3)).copy()
    if rng.random() < 0.5:
        img = img.transpose(1, 0, 2)
    canvas = Image.fromarray(img.astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(12, 28))):
        x, y = rng.uniform(-0.1, 1.1, 2) * size
        w, h = rng.uniform(0.03, 0.25, 2) * size
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = rng.integers(3)
        if kind == 0:
            draw.ellipse([x - w, y - h, x + w, y + h], fill=colour)
        elif kind == 1:
            draw.rectangle([x - w, y - h, x + w, y + h], fill=colour)
        else:
            draw.line([
                x, y, x + rng.uniform(-1, 1) * size * 0.4,
                y + rng.uniform(-1, 1) * size * 0.4
            ],
                      fill=colour,
                      width=int(rng.integers(1, 4)))
    return canvas


def render_bird(cls: BirdClass, size: int,
                rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one image of class ``cls``.

    Returns an RGB uint8 image ``(size, size, 3)`` and its part label map
    ``(size, size)`` (uint8, ids of :data:`PART_NAMES`). Both are rasterised
    from the same polygons, so the label map is exact.
    """
    canvas = _background(size, rng)
    labels = Image.new('L', (size, size), 0)
    draw_img, draw_lbl = ImageDraw.Draw(canvas), ImageDraw.Draw(labels)

    scale = OBJECT_SCALE * size * rng.uniform(0.8, 1.2)
    angle = math.radians(rng.uniform(-30, 30))
    facing = 1.0 if rng.random() < 0.5 else -1.0
    centre = size / 2 + rng.uniform(-0.12, 0.12, 2) * size
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]])
    for shape in _bird_shapes(cls, rng):
        pts = shape.points * np.array([facing, 1.0])
        pts = pts @ rot.T * scale + centre
        poly = [tuple(p) for p in pts]
        draw_img.polygon(poly, fill=shape.rgb)
        draw_lbl.polygon(poly, fill=shape.part)

    # Lighting: a random-direction linear gain plus sensor noise.
    img = np.asarray(canvas).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    gain = rng.uniform(0.65, 1.25) + rng.uniform(0, 0.5) * (
        xx * math.cos(theta) + yy * math.sin(theta))
    img = img * gain[..., None] + rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), np.asarray(labels)


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
                         overwrite: bool = False) -> Dict[str, int]:
    """Write the synthetic fine-grained benchmark to ``out_dir``.

    Args:
        out_dir: dataset root to create (CUB-200-2011 layout).
        num_classes: number of classes, 2 to 36 attribute combinations.
        images_per_class: images drawn per class.
        image_size: side of the square images in pixels.
        train_per_class: images per class flagged as training in
            ``train_test_split.txt``; the rest are test images.
        seed: everything is determined by it.
        overwrite: replace an existing dataset at ``out_dir``.

    Returns:
        ``dict(train=..., test=..., classes=...)`` counts.
    """
    if not 0 < train_per_class < images_per_class:
        raise ValueError(f'train_per_class={train_per_class} must be '
                         f'between 1 and images_per_class-1 '
                         f'({images_per_class - 1})')
    if image_size < 48:
        raise ValueError(f'image_size={image_size}: below 48 px the part '
                         'details are no longer drawable')
    if osp.exists(out_dir):
        if not overwrite:
            raise FileExistsError(
                f'{out_dir} exists; pass overwrite=True (--overwrite) to '
                'replace it')
        shutil.rmtree(out_dir)
    classes = choose_classes(num_classes, seed)
    images, labels, split, boxes = [], [], [], []
    for c, cls in enumerate(classes):
        class_dir = f'{c + 1:03d}.{cls.name}'
        os.makedirs(osp.join(out_dir, 'images', class_dir))
        os.makedirs(osp.join(out_dir, 'parts', class_dir))
        for i in range(images_per_class):
            rng = np.random.default_rng([seed, c, i])
            img, part_map = render_bird(cls, image_size, rng)
            stem = f'{cls.name}_{i + 1:04d}'
            Image.fromarray(img).save(
                osp.join(out_dir, 'images', class_dir, stem + '.jpg'),
                quality=95)
            Image.fromarray(part_map).save(
                osp.join(out_dir, 'parts', class_dir, stem + '.png'))
            images.append(f'{class_dir}/{stem}.jpg')
            labels.append(c + 1)
            split.append(int(i < train_per_class))
            boxes.append(_bbox(part_map))

    def write(name, rows):
        with open(osp.join(out_dir, name), 'w') as f:
            f.writelines(f'{row}\n' for row in rows)

    ids = range(1, len(images) + 1)
    write('images.txt', (f'{i} {p}' for i, p in zip(ids, images)))
    write('image_class_labels.txt', (f'{i} {y}' for i, y in zip(ids, labels)))
    write('train_test_split.txt', (f'{i} {s}' for i, s in zip(ids, split)))
    write('bounding_boxes.txt',
          (f'{i} {x} {y} {w} {h}' for i, (x, y, w, h) in zip(ids, boxes)))
    write('classes.txt',
          (f'{c + 1} {c + 1:03d}.{cls.name}' for c, cls in enumerate(classes)))
    write('parts.txt', (f'{i} {n}' for i, n in enumerate(PART_NAMES)))
    write('attributes.txt',
          (f'{c + 1} {" ".join(cls)}' for c, cls in enumerate(classes)))
    n_train = sum(split)
    return dict(
        train=n_train, test=len(images) - n_train, classes=len(classes))


def part_fraction(
    part_maps: Sequence[np.ndarray],
    parts: Sequence[str] = ('beak', 'eye', 'crest')
) -> float:
    """Fraction of all pixels that belong to ``parts`` (for reporting)."""
    ids = [PART_IDS[p] for p in parts]
    hits = sum(int(np.isin(m, ids).sum()) for m in part_maps)
    return hits / sum(m.size for m in part_maps)

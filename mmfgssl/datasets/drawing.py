"""Drawing and writing the project's synthetic data sets.

Both generated data sets (the fine-grained benchmark, ``synthetic.py``, and
the generic set that stands in for ImageNet, ``generic.py``) draw objects as
coloured polygons in an object frame (centred at the origin, facing +x, one
unit about half the body length) and place them on a cluttered background
with random scale, rotation, mirroring, position and lighting. Both are
written in the CUB-200-2011 folder layout that mmpretrain's ``CUB`` reads,
into a folder marked as generated, so that ``--overwrite`` replaces only
what a generator wrote.
"""
import json
import math
import os
import os.path as osp
import shutil
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

MARKER = '.mmfgssl-generated.json'


class Shape(NamedTuple):
    points: np.ndarray  # (N, 2) polygon in object coordinates
    part: int  # label written into the part map (0: background)
    rgb: Tuple[int, int, int]


def ellipse(cx: float,
            cy: float,
            rx: float,
            ry: float,
            n: int = 28) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def rectangle(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def colour(values) -> Tuple[int, int, int]:
    return tuple(int(v) for v in np.clip(values, 0, 255))


def random_colour(rng: np.random.Generator,
                  low: int = 30,
                  high: int = 230) -> Tuple[int, int, int]:
    return colour(rng.integers(low, high, 3))


class Nuisance(NamedTuple):
    """How much everything that does not decide the class varies."""
    scale: Tuple[float, float] = (0.8, 1.2)  # object size factor
    rotation: float = 30.0  # degrees, either way
    shift: float = 0.12  # of the image side, either way
    clutter: Tuple[int, int] = (12, 28)  # background shapes
    gain: Tuple[float, float] = (0.65, 1.25)  # global brightness
    gradient: float = 0.5  # strength of the directional lighting
    noise: float = 6.0  # sensor noise std (grey levels)


def cluttered_background(size: int, rng: np.random.Generator,
                         nuisance: Nuisance) -> Image.Image:
    """Smooth colour gradient plus random clutter."""
    c0, c1 = rng.integers(40, 230, (2, 3))
    t = np.linspace(0, 1, size)[:, None, None]
    img = np.broadcast_to(c0 * (1 - t) + c1 * t, (size, size, 3)).copy()
    if rng.random() < 0.5:
        img = img.transpose(1, 0, 2)
    canvas = Image.fromarray(img.astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(*nuisance.clutter))):
        x, y = rng.uniform(-0.1, 1.1, 2) * size
        w, h = rng.uniform(0.03, 0.25, 2) * size
        fill = random_colour(rng, 0, 256)
        kind = rng.integers(3)
        if kind == 0:
            draw.ellipse([x - w, y - h, x + w, y + h], fill=fill)
        elif kind == 1:
            draw.rectangle([x - w, y - h, x + w, y + h], fill=fill)
        else:
            end = (x + rng.uniform(-1, 1) * size * 0.4,
                   y + rng.uniform(-1, 1) * size * 0.4)
            draw.line([x, y, *end], fill=fill, width=int(rng.integers(1, 4)))
    return canvas


def render(
        shapes: Sequence[Shape],
        size: int,
        object_scale: float,
        rng: np.random.Generator,
        nuisance: Nuisance,
        in_frame: Optional[np.ndarray] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Draw ``shapes`` (back to front) at a random pose over a cluttered
    background, under random lighting.

    ``in_frame``, points in object coordinates (all the shapes' points when
    ``None``), always lies inside the image: the random shift moves the
    object, but never across the border, and a pose whose ``in_frame`` is
    wider than the image is drawn smaller, just enough to fit. Give the box
    of the parts that decide the class, the same for every class, and a
    detail is never cut off while the object's position and size still say
    nothing about its class.

    Returns an RGB uint8 image and its part map (uint8), rasterised from the
    same polygons, so the part map is exact.
    """
    canvas = cluttered_background(size, rng, nuisance)
    labels = Image.new('L', (size, size), 0)
    draw_img, draw_lbl = ImageDraw.Draw(canvas), ImageDraw.Draw(labels)
    scale = object_scale * size * rng.uniform(*nuisance.scale)
    angle = math.radians(rng.uniform(-nuisance.rotation, nuisance.rotation))
    facing = 1.0 if rng.random() < 0.5 else -1.0
    shift = rng.uniform(-nuisance.shift, nuisance.shift, 2) * size
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]])

    def place(points):
        return (points * np.array([facing, 1.0])) @ rot.T * scale

    kept = place(
        np.concatenate([shape.points for shape in shapes]) if in_frame is
        None else in_frame)
    # 2 px from the border: a rasterised edge may spill over by one
    room = size - 4
    extent = (kept.max(0) - kept.min(0)).max()
    if extent > room:
        scale *= room / extent
        kept *= room / extent
    placed = [place(shape.points) for shape in shapes]
    low, high = kept.min(0), kept.max(0)
    # the kept box centred, shifted, then pushed back inside the image
    centre = size / 2 - (low + high) / 2 + shift
    centre = np.clip(centre, 2 - low, size - 2 - high)
    for pts, shape in zip(placed, shapes):
        poly = [tuple(p) for p in pts + centre]
        draw_img.polygon(poly, fill=shape.rgb)
        draw_lbl.polygon(poly, fill=shape.part)

    # Lighting: a random-direction linear gain plus sensor noise.
    img = np.asarray(canvas).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size] / size - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    gain = rng.uniform(*nuisance.gain) + rng.uniform(0, nuisance.gradient) * (
        xx * math.cos(theta) + yy * math.sin(theta))
    img = img * gain[..., None] + rng.normal(0, nuisance.noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), np.asarray(labels)


# ------------------------------------------------------------------ writing
def prepare_output_dir(out_dir: str, overwrite: bool, generator: str,
                       settings: dict) -> None:
    """Create ``out_dir`` for a generator, or clear what a generator wrote
    there before.

    A folder is only ever replaced if it carries the marker a generator
    writes first (:data:`MARKER`), and then only the entries the marker
    lists are removed: anything else in the folder is kept. Any other
    existing, non-empty folder is refused.
    """
    marker = osp.join(out_dir, MARKER)
    if osp.isdir(out_dir) and os.listdir(out_dir):
        if not osp.isfile(marker):
            raise FileExistsError(
                f'{out_dir} exists and was not written by an mmfgssl data '
                f'generator (it has no {MARKER}): refusing to write into it. '
                'Choose another folder, or empty it yourself.')
        if not overwrite:
            raise FileExistsError(
                f'{out_dir} holds a generated data set; pass overwrite=True '
                '(--overwrite) to replace it')
        with open(marker) as f:
            entries = json.load(f).get('entries', [])
        for name in entries:
            path = osp.join(out_dir, name)
            if osp.isdir(path) and not osp.islink(path):
                shutil.rmtree(path)
            elif osp.lexists(path):
                os.remove(path)
        os.remove(marker)
    elif osp.exists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a folder')
    os.makedirs(out_dir, exist_ok=True)
    with open(marker, 'w') as f:
        json.dump(dict(generator=generator, settings=settings, entries=[]), f)


def holds_generated(out_dir: str, generator: str, settings: dict) -> bool:
    """Whether ``out_dir`` holds a complete data set that ``generator``
    wrote with exactly ``settings`` (its annotation files are recorded in
    the marker only once everything else is written)."""
    marker = osp.join(out_dir, MARKER)
    if not osp.isfile(marker):
        return False
    with open(marker) as f:
        info = json.load(f)
    return (info.get('generator') == generator
            and info.get('settings') == json.loads(json.dumps(settings))
            and 'images.txt' in info.get('entries', []))


def record_entries(out_dir: str, entries: Iterable[str]) -> None:
    """Add top-level names to the marker's list of what was written."""
    marker = osp.join(out_dir, MARKER)
    with open(marker) as f:
        info = json.load(f)
    info['entries'] = sorted(set(info['entries']) | set(entries))
    with open(marker, 'w') as f:
        json.dump(info, f, indent=1)


class Sample(NamedTuple):
    rel_path: str  # under images/, e.g. '001.name/name_0001.jpg'
    label: int  # 0-based class index
    is_train: bool


def write_cub_layout(out_dir: str, class_names: Sequence[str],
                     samples: Sequence[Sample],
                     extra_files: Dict[str, List[str]]) -> None:
    """The annotation files of the CUB-200-2011 layout (1-based ids), plus
    ``extra_files`` (name -> lines); images are already under ``images/``.
    """
    files = {
        'images.txt': [f'{i} {s.rel_path}' for i, s in enumerate(samples, 1)],
        'image_class_labels.txt':
        [f'{i} {s.label + 1}' for i, s in enumerate(samples, 1)],
        'train_test_split.txt':
        [f'{i} {int(s.is_train)}' for i, s in enumerate(samples, 1)],
        'classes.txt': [f'{c} {n}' for c, n in enumerate(class_names, 1)],
        **extra_files
    }
    for name, lines in files.items():
        with open(osp.join(out_dir, name), 'w') as f:
            f.writelines(f'{line}\n' for line in lines)
    record_entries(out_dir, files)

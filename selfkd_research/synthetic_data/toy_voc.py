"""A tiny synthetic dataset in Pascal VOC layout, for smoke tests and demos.

Each image shows one to four coloured shapes on a textured, low-saturation
background.  Colour is a strong cue (each class has its own hue range, so a
small model climbs in mIoU within minutes on a CPU), but the hue ranges of
``square`` and ``triangle`` overlap and ``stripes`` is defined by its texture,
so shape and texture matter too.  Like VOC, the masks are palette PNGs with a
thin band of ``255`` (ignore) along every object boundary.

Layout written under ``root``::

    JPEGImages/{train,val}_NNNN.jpg
    SegmentationClass/{train,val}_NNNN.png     palette mode 'P', VOC palette
    ImageSets/Segmentation/{train,val,trainval}.txt
    meta.json                                  classes, palette, arguments

The output is a pure function of the arguments: the same seed gives the same
bytes, and each image has its own random stream, so adding training images
does not change the validation images.
"""
import argparse
import colorsys
import json
import os
import os.path as osp
import shutil
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

from selfkd_seg.utils.palette import voc_palette

#: Foreground classes the generator can draw, in label order.
TOY_SHAPES = ('circle', 'square', 'triangle', 'stripes')
#: Default class names of the toy dataset (label 0 is background).
TOY_CLASSES = ('background', ) + TOY_SHAPES
#: Bumped whenever the rendering changes, so cached datasets get rebuilt.
GENERATOR_VERSION = 1
IGNORE_INDEX = 255

# Hue ranges in degrees; square and triangle overlap on purpose (cyan), so
# the model has to look at shape there.
_HUE_RANGES = dict(circle=(-25, 25), square=(90, 185), triangle=(160, 260))
_STRIPE_COLOURS = ((235, 200, 30), (40, 30, 20))  # yellow on near-black


def _hsv_colour(
    rng: np.random.Generator,
    hue_range: Tuple[float, float],
    sat_range=(0.6, 1.0),
    val_range=(0.55, 1.0)
) -> np.ndarray:
    hue = (rng.uniform(*hue_range) % 360) / 360
    rgb = colorsys.hsv_to_rgb(hue, rng.uniform(*sat_range),
                              rng.uniform(*val_range))
    return np.array(rgb) * 255


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Smooth low-saturation blobs plus pixel noise."""
    grid = rng.uniform(0, 1, size=(6, 6, 3))
    grey = grid.mean(axis=2, keepdims=True)
    grid = grey + 0.25 * (grid - grey)  # desaturate: colour stays a cue
    grid = 40 + 170 * grid
    smooth = Image.fromarray(grid.astype(np.uint8)).resize((w, h),
                                                           Image.BICUBIC)
    return np.asarray(smooth, dtype=np.float64)


def _rotated(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def _shape_mask(rng: np.random.Generator, shape: str, h: int,
                w: int) -> np.ndarray:
    """A boolean mask of one randomly placed, sized and rotated shape."""
    short = min(h, w)
    radius = rng.uniform(0.12, 0.3) * short
    cx, cy = rng.uniform(0.1 * w, 0.9 * w), rng.uniform(0.1 * h, 0.9 * h)
    angle = rng.uniform(0, 2 * np.pi)
    canvas = Image.new('L', (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    if shape == 'circle':
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius],
                     fill=1)
    else:
        if shape == 'square':
            corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * 0.8
        elif shape == 'triangle':
            t = np.pi / 2 + np.arange(3) * 2 * np.pi / 3
            corners = np.stack([np.cos(t), np.sin(t)], axis=1)
        else:  # stripes: an elongated rectangle
            corners = np.array([[-1, -0.55], [1, -0.55], [1, 0.55], [-1,
                                                                     0.55]])
        pts = _rotated(corners * radius, angle) + [cx, cy]
        draw.polygon([tuple(p) for p in pts], fill=1)
    return np.asarray(canvas, dtype=bool)


def _shape_appearance(rng: np.random.Generator, shape: str, h: int,
                      w: int) -> np.ndarray:
    """An (h, w, 3) colour layer for one object: flat hue or stripes."""
    if shape == 'stripes':
        period = rng.uniform(5, 9)
        angle = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:h, 0:w]
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
        on = (np.floor(phase) % 2 == 0)[..., None]
        jitter = rng.uniform(-20, 20, size=3)
        a, b = (np.array(c) + jitter for c in _STRIPE_COLOURS)
        return np.where(on, a, b)
    colour = _hsv_colour(rng, _HUE_RANGES[shape])
    # A soft linear shading so objects are not perfectly flat.
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    gx, gy = rng.uniform(-40, 40, size=2)
    shade = (gx * (xx - 0.5) + gy * (yy - 0.5))[..., None]
    return colour + shade


def _ignore_border(labels: np.ndarray) -> np.ndarray:
    """Pixels with a differently labelled 8-neighbour (a ~2 px band)."""
    padded = np.pad(labels, 1, mode='edge')
    h, w = labels.shape
    border = np.zeros_like(labels, dtype=bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            border |= padded[dy:dy + h, dx:dx + w] != labels
    return border


def render_toy_sample(
        rng: np.random.Generator,
        img_size: Tuple[int, int],
        shapes: Sequence[str] = TOY_SHAPES) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one image and its label map.

    Args:
        rng (np.random.Generator): The random stream of this sample.
        img_size (tuple[int, int]): (H, W).
        shapes (Sequence[str]): Foreground shapes to choose from; the label of
            ``shapes[i]`` is ``i + 1``.

    Returns:
        tuple[np.ndarray, np.ndarray]: uint8 image (H, W, 3) in RGB order and
        uint8 labels (H, W) with values in ``{0..len(shapes), 255}``.
    """
    h, w = img_size
    img = _background(rng, h, w)
    labels = np.zeros((h, w), dtype=np.uint8)
    for _ in range(rng.integers(1, 5)):
        label = int(rng.integers(len(shapes)))
        shape = shapes[label]
        mask = _shape_mask(rng, shape, h, w)
        img[mask] = _shape_appearance(rng, shape, h, w)[mask]
        labels[mask] = label + 1
    labels[_ignore_border(labels)] = IGNORE_INDEX
    img = img + rng.normal(0, 8, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), labels


def _generator_args(num_train, num_val, img_size, seed, classes) -> dict:
    return dict(
        generator_version=GENERATOR_VERSION,
        num_train=int(num_train),
        num_val=int(num_val),
        img_size=[int(s) for s in img_size],
        seed=int(seed),
        classes=list(classes))


def _resolve_classes(classes: Optional[Sequence[str]]) -> Tuple[str, ...]:
    if classes is None:
        return TOY_CLASSES
    classes = tuple(classes)
    if classes and classes[0] == 'background':
        classes = classes[1:]
    unknown = [c for c in classes if c not in TOY_SHAPES]
    if not classes or unknown or len(set(classes)) != len(classes):
        raise ValueError(
            f'make_toy_voc: classes must be distinct names from {TOY_SHAPES} '
            f"(optionally preceded by 'background'), got {list(classes)}")
    return ('background', ) + classes


def read_toy_meta(root: str) -> Optional[dict]:
    """The ``meta.json`` of a toy dataset, or None if there is none."""
    path = osp.join(root, 'meta.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def toy_voc_is_current(root: str,
                       num_train: int = 96,
                       num_val: int = 32,
                       img_size: Sequence[int] = (128, 128),
                       seed: int = 0,
                       classes: Optional[Sequence[str]] = None) -> bool:
    """Whether ``root`` holds a complete toy dataset made with these args."""
    meta = read_toy_meta(root)
    wanted = _generator_args(num_train, num_val, img_size, seed,
                             _resolve_classes(classes))
    if meta is None or meta.get('args') != wanted:
        return False
    split = osp.join(root, 'ImageSets', 'Segmentation', 'trainval.txt')
    if not osp.isfile(split):
        return False
    with open(split) as f:
        names = f.read().split()
    return len(names) == num_train + num_val and all(
        osp.isfile(osp.join(root, 'JPEGImages', n + '.jpg'))
        and osp.isfile(osp.join(root, 'SegmentationClass', n + '.png'))
        for n in names)


def make_toy_voc(root: str,
                 num_train: int = 96,
                 num_val: int = 32,
                 img_size: Sequence[int] = (128, 128),
                 seed: int = 0,
                 classes: Optional[Sequence[str]] = None) -> Dict:
    """Write the toy dataset to ``root`` (see the module docstring).

    Args:
        root (str): Output folder. It may be missing, empty or an earlier toy
            dataset (whose files are replaced); any other non-empty folder is
            refused so that nothing unrelated is deleted.
        num_train (int): Images in ``train.txt``. Defaults to 96.
        num_val (int): Images in ``val.txt``. Defaults to 32.
        img_size (Sequence[int]): (H, W). Defaults to (128, 128).
        seed (int): Random seed. Defaults to 0.
        classes (Sequence[str], optional): Foreground shapes to draw, a subset
            of :data:`TOY_SHAPES` (label order follows this sequence).
            Defaults to all of them.

    Returns:
        dict: ``root``, ``classes``, ``palette``, ``splits`` (name -> number
        of images), ``img_size``, ``seed`` and ``class_pixel_fraction``
        (share of labelled pixels per class, ignore excluded, over train).
    """
    classes = _resolve_classes(classes)
    if len(img_size) != 2 or min(img_size) < 16:
        raise ValueError(f'make_toy_voc: img_size must be (H, W) with both '
                         f'sides >= 16, got {tuple(img_size)}')
    if num_train < 1 or num_val < 0:
        raise ValueError(f'make_toy_voc: need num_train >= 1 and num_val >= '
                         f'0, got num_train={num_train}, num_val={num_val}')
    args = _generator_args(num_train, num_val, img_size, seed, classes)
    _prepare_root(root)
    img_dir = osp.join(root, 'JPEGImages')
    ann_dir = osp.join(root, 'SegmentationClass')
    split_dir = osp.join(root, 'ImageSets', 'Segmentation')
    for d in (img_dir, ann_dir, split_dir):
        os.makedirs(d, exist_ok=True)

    palette = voc_palette()
    flat_palette = [v for rgb in palette for v in rgb]
    counts = np.zeros(len(classes), dtype=np.int64)
    splits = {}
    split_sizes = (('train', num_train), ('val', num_val))
    for split_id, (split, num) in enumerate(split_sizes):
        names = []
        for idx in range(num):
            name = f'{split}_{idx:04d}'
            rng = np.random.default_rng([seed, split_id, idx])
            img, labels = render_toy_sample(rng, tuple(img_size), classes[1:])
            Image.fromarray(img).save(
                osp.join(img_dir, name + '.jpg'), quality=92)
            mask = Image.frombytes('P', labels.shape[::-1], labels.tobytes())
            mask.putpalette(flat_palette)
            mask.save(osp.join(ann_dir, name + '.png'))
            if split == 'train':
                counts += np.bincount(
                    labels[labels != IGNORE_INDEX], minlength=len(classes))
            names.append(name)
        splits[split] = names
    splits['trainval'] = splits['train'] + splits['val']
    for split, names in splits.items():
        with open(osp.join(split_dir, split + '.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))

    meta = dict(
        classes=list(classes),
        palette=palette[:len(classes)],
        ignore_index=IGNORE_INDEX,
        args=args)
    # meta.json last: its presence marks a complete dataset.
    with open(osp.join(root, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    return dict(
        root=root,
        classes=classes,
        palette=meta['palette'],
        splits={
            k: len(v)
            for k, v in splits.items()
        },
        img_size=tuple(int(s) for s in img_size),
        seed=int(seed),
        class_pixel_fraction=dict(
            zip(classes, (counts / max(counts.sum(), 1)).round(4).tolist())))


def _prepare_root(root: str) -> None:
    """Create ``root``, or clear an earlier toy dataset in it."""
    if not osp.isdir(root):
        os.makedirs(root)
        return
    if read_toy_meta(root) is None and os.listdir(root):
        raise FileExistsError(
            f'make_toy_voc: {root!r} is not empty and has no toy meta.json; '
            'refusing to write into it (choose an empty or new folder)')
    if osp.isfile(osp.join(root, 'meta.json')):
        os.remove(osp.join(root, 'meta.json'))
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets'):
        shutil.rmtree(osp.join(root, sub), ignore_errors=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a small synthetic segmentation dataset in Pascal '
        'VOC layout (shapes on textured backgrounds).')
    parser.add_argument('out_dir', help='output folder (e.g. data/toy_voc)')
    parser.add_argument(
        '--num-train', type=int, default=96, help='training images')
    parser.add_argument(
        '--num-val', type=int, default=32, help='validation images')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[128, 128],
        metavar=('H', 'W'),
        help='image height and width')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--force', action='store_true', help='regenerate even if current')
    return parser.parse_args(argv)


def main(argv=None) -> Optional[dict]:
    """The command line of ``tools/dataset_converters/make_toy_voc.py``:
    (re)generate unless ``OUT/meta.json`` is current; the summary, or None
    when skipped."""
    args = parse_args(argv)
    kwargs = dict(
        num_train=args.num_train,
        num_val=args.num_val,
        img_size=tuple(args.size),
        seed=args.seed)
    if not args.force and toy_voc_is_current(args.out_dir, **kwargs):
        print(f'{args.out_dir}: toy dataset already up to date, skipped')
        return None
    summary = make_toy_voc(args.out_dir, **kwargs)
    print(json.dumps(summary, indent=2))
    return summary


# python -m selfkd_research.synthetic_data.toy_voc OUT ...  (checkout root)
if __name__ == '__main__':
    main()

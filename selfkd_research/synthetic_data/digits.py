"""Build a segmentation set and a classification set from real handwriting.

The source is scikit-learn's copy of the UCI "Optical Recognition of
Handwritten Digits" data (``sklearn.datasets.load_digits()``: 1,797 digits,
8x8 pixels, values 0..16, labels 0..9), which ships with scikit-learn, so
nothing is downloaded.  scikit-learn is an optional extra of selfkd_seg::

    pip install -e .[digits]        # or: pip install scikit-learn

Usage (``tools/dataset_converters/make_digits.py`` wraps :func:`main`)::

    python tools/dataset_converters/make_digits.py data/digits
    python tools/dataset_converters/make_digits.py OUT --seed 0 \
        --seg-train 600 --seg-val 200 \
        --cls-train-per-digit 3 --cls-val-per-digit 1 [--only seg|cls] \
        [--max-sources-per-class N]

Layout written under ``OUT``::

    split.json       source indices of the train and val digits
    README.txt       source, license, split rule
    seg/             Pascal VOC layout (configs/_base_/datasets/digits_seg.py)
        JPEGImages/{train,val}_NNNN.jpg            128x128 RGB scenes
        SegmentationClass/{train,val}_NNNN.png     palette PNG, VOC palette
        ImageSets/Segmentation/{train,val,trainval}.txt
        meta.json        classes, palette, ignore_index, args
        scenes.json      per scene: source index, label and box of each digit
        stamp.json       arguments; written last (marks a complete set)
    cls/             image folders (configs/_base_/datasets/digits_cls.py)
        {train,val}/<0..9>/<source>_<k>.png        32x32 RGB
        stamp.json

Segmentation scenes hold 2-4 digits, each upscaled from 8x8 to 24-48 px,
tinted with a random colour and laid on a random textured background (smooth
noise, gradients, stripes, checks); later digits go on top when they cannot
be placed apart.  Labels: background 0, digit ``d`` is ``d + 1`` where the
upscaled intensity is >= 0.5 (of the 0..16 range), and 255 (ignore) on the
blurred rim where it is in [0.25, 0.5).

Split rule: the 1,797 source digits are split once, stratified by class
(25% of each class to val, a fixed shuffle that does not depend on
``--seed``), and train sources appear only in train images of both sets,
val sources only in val images.  ``--seed`` changes the rendering only.

Deterministic: each image has its own random stream derived from ``--seed``
and its index, so the same arguments give the same bytes.  Idempotent: a part
(``seg`` or ``cls``) whose ``stamp.json`` records the same arguments and whose
files are all present is left alone.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from selfkd_seg.utils.palette import voc_palette

#: Bumped whenever the rendering changes, so stale sets get rebuilt.
GENERATOR_VERSION = 1
GENERATOR = 'make_digits'
#: The source split is fixed, independent of --seed (see module docstring).
SPLIT_SEED = 0
VAL_FRACTION = 0.25
IGNORE_INDEX = 255
#: Upscaled intensity (0..1) at or above which a pixel is the digit ...
FG_THRESHOLD = 0.5
#: ... and at or above which (below FG_THRESHOLD) it is ignored.
IGNORE_THRESHOLD = 0.25
SEG_SIZE = 128
SEG_DIGIT_SIZE = (24, 48)  # height of the upscaled 8x8 source, in px
CLS_SIZE = 32
CLS_DIGIT_SIZE = (18, 27)
SEG_CLASSES = ('background', ) + tuple(f'digit{d}' for d in range(10))
CLS_CLASSES = tuple(str(d) for d in range(10))
SPLITS = ('train', 'val')

INSTALL_HINT = ('make_digits needs scikit-learn (it ships the digits data): '
                "pip install -e '.[digits]'  or  pip install scikit-learn")

UCI_URL = ('https://archive.ics.uci.edu/dataset/80/'
           'optical+recognition+of+handwritten+digits')
README_TEXT = """\
Digits scenes and digit images for selfkd_seg
==============================================

Made by tools/dataset_converters/make_digits.py (see docs/digits_dataset.md).

Source: scikit-learn's bundled copy (sklearn.datasets.load_digits) of the
"Optical Recognition of Handwritten Digits" dataset of the UCI Machine
Learning Repository (E. Alpaydin, C. Kaynak, 1998),
{url}
scikit-learn ships its test part: 1,797 handwritten digits by 13 writers,
8x8 pixels (counts of 4x4 blocks of a 32x32 bitmap), values 0..16, labels
0..9.  The writer of each digit is not recorded, so train and val below share
writers (but never a digit image).
License: the UCI repository publishes the dataset under the Creative Commons
Attribution 4.0 International license (CC BY 4.0); scikit-learn itself is
BSD-3-Clause.  Credit the dataset's authors and the UCI repository when you
use images derived from it.

Every image here is rendered from those digits (upscaled, tinted, placed on
synthetic textured backgrounds).  split.json lists which source digits feed
train and which feed val: no source digit appears in both.
""".format(url=UCI_URL)


# --------------------------------------------------------------- the source
def load_source() -> Tuple[np.ndarray, np.ndarray]:
    """The digits as float32 (N, 8, 8) in [0, 1] and int64 labels (N, ).

    Raises:
        ImportError: scikit-learn is not installed (with an install hint).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(INSTALL_HINT) from e
    digits = load_digits()
    images = np.asarray(digits.images, dtype=np.float32) / 16.0
    return images, np.asarray(digits.target, dtype=np.int64)


def split_sources(targets: np.ndarray,
                  val_fraction: float = VAL_FRACTION,
                  seed: int = SPLIT_SEED) -> Dict[str, List[int]]:
    """Stratified split of source indices: ``{'train': [...], 'val': [...]}``.

    Each class gives ``round(val_fraction * count)`` of its digits to val,
    chosen by a shuffle seeded with ``(seed, class)``.
    """
    split = dict(train=[], val=[])
    for cls in range(10):
        idx = np.flatnonzero(targets == cls)
        perm = np.random.default_rng([seed, cls]).permutation(idx)
        num_val = int(round(val_fraction * len(idx)))
        split['val'].extend(int(i) for i in perm[:num_val])
        split['train'].extend(int(i) for i in perm[num_val:])
    return {k: sorted(v) for k, v in split.items()}


# --------------------------------------------------------------- rendering
def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A random (h, w) weight map in [0, 1]: noise, gradient, stripes or
    checks."""
    kind = int(rng.integers(4))
    scale = max(h, w) / SEG_SIZE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == 0:  # smooth value noise
        k = int(rng.integers(3, 9))
        grid = rng.uniform(0, 1, size=(k, k)).astype(np.float32)
        t = np.asarray(Image.fromarray(grid).resize((w, h), Image.BICUBIC))
    elif kind == 1:  # linear gradient
        angle = rng.uniform(0, 2 * np.pi)
        t = xx * np.cos(angle) + yy * np.sin(angle)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    elif kind == 2:  # soft stripes
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(6, 24) * scale
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
        t = 0.5 + 0.5 * np.sin(2 * np.pi * phase + rng.uniform(0, 2 * np.pi))
    else:  # checks
        cell = max(rng.uniform(8, 32) * scale, 2.0)
        t = ((xx // cell + yy // cell) % 2).astype(np.float32)
    return np.clip(t, 0, 1)


def _background(rng: np.random.Generator, h: int,
                w: int) -> Tuple[np.ndarray, np.ndarray]:
    """A textured (h, w, 3) float background and its two base colours."""
    c1 = rng.uniform(15, 240, size=3)
    c2 = np.clip(c1 + rng.normal(0, 45, size=3), 0, 255)
    t = _texture(rng, h, w)
    if rng.uniform() < 0.5:  # a second texture on top
        t = 0.65 * t + 0.35 * _texture(rng, h, w)
    img = c1 * (1 - t[..., None]) + c2 * t[..., None]
    img = img + rng.normal(0, 6, size=img.shape)
    return img, np.stack([c1, c2])


def _tint(rng: np.random.Generator,
          avoid: np.ndarray,
          min_dist: float = 120.0) -> np.ndarray:
    """A random RGB colour at least ``min_dist`` away from every colour in
    ``avoid`` (falls back to the far corner of the RGB cube)."""
    for _ in range(100):
        colour = rng.uniform(0, 255, size=3)
        if np.linalg.norm(avoid - colour, axis=1).min() >= min_dist:
            return colour
    return np.where(avoid.mean(axis=0) < 128, 235.0, 20.0)


def _upscale(digit: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bicubic upscale of an 8x8 digit (values 0..1) so its 8 source pixels
    span ``height`` x ``width``, cropped to the part above 0.1.

    The 8x8 is padded by one empty pixel first, so strokes that touch its
    edge fade out instead of being cut.
    """
    padded = np.pad(digit, 1).astype(np.float32)
    size = (int(round(width * 10 / 8)), int(round(height * 10 / 8)))
    big = Image.fromarray(padded).resize(size, Image.BICUBIC)
    v = np.clip(np.asarray(big), 0, 1)
    rows = np.flatnonzero((v > 0.1).any(axis=1))
    cols = np.flatnonzero((v > 0.1).any(axis=0))
    if rows.size == 0:  # an empty digit (does not occur in the data)
        return v
    return v[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _alpha(v: np.ndarray) -> np.ndarray:
    """Opacity of the tinted digit: a smooth step over intensity 0.15..0.6."""
    t = np.clip((v - 0.15) / 0.45, 0, 1)
    return t * t * (3 - 2 * t)


def _paint(img: np.ndarray, v: np.ndarray, top: int, left: int,
           rng: np.random.Generator, avoid: np.ndarray) -> None:
    """Composite a tinted, softly shaded digit into ``img`` in place."""
    h, w = v.shape
    tint = _tint(rng, avoid)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    gx, gy = rng.uniform(-30, 30, size=2)
    colour = tint + (gx * (xx - 0.5) + gy * (yy - 0.5))[..., None]
    a = _alpha(v)[..., None]
    region = img[top:top + h, left:left + w]
    region[...] = region * (1 - a) + colour * a


def render_scene(rng: np.random.Generator,
                 sources: Sequence[int],
                 images: np.ndarray,
                 targets: np.ndarray,
                 size: int = SEG_SIZE) -> Tuple[np.ndarray, np.ndarray, list]:
    """One segmentation scene of 2-4 digits drawn from ``sources``.

    Returns:
        tuple: uint8 RGB image (size, size, 3), uint8 labels (size, size) in
        ``{0..10, 255}``, and a list of dicts (``source``, ``label`` = digit +
        1, ``box`` = [top, left, height, width], ``overlaps``: whether it was
        placed over an earlier digit) in painting order.
    """
    img, bg_colours = _background(rng, size, size)
    labels = np.zeros((size, size), dtype=np.uint8)
    boxes, placed = [], []
    for _ in range(int(rng.integers(2, 5))):
        src = int(sources[int(rng.integers(len(sources)))])
        height = int(rng.integers(SEG_DIGIT_SIZE[0], SEG_DIGIT_SIZE[1] + 1))
        width = int(round(height * rng.uniform(0.75, 1.0)))
        v = _upscale(images[src], height, width)
        h, w = v.shape
        top = left = 0
        overlaps = True
        for _ in range(40):  # look for a free spot, else go on top
            top = int(rng.integers(0, size - h + 1))
            left = int(rng.integers(0, size - w + 1))
            if all(top + h + 2 <= t or t + bh + 2 <= top or left + w +
                   2 <= l or l + bw + 2 <= left for t, l, bh, bw in boxes):
                overlaps = False
                break
        _paint(img, v, top, left, rng, bg_colours)
        label = int(targets[src]) + 1
        window = labels[top:top + h, left:left + w]
        window[v >= IGNORE_THRESHOLD] = IGNORE_INDEX
        window[v >= FG_THRESHOLD] = label
        boxes.append((top, left, h, w))
        placed.append(
            dict(
                source=src,
                label=label,
                box=[top, left, h, w],
                overlaps=overlaps))
    img = img + rng.normal(0, 4, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), labels, placed


def render_digit_image(rng: np.random.Generator,
                       digit: np.ndarray,
                       size: int = CLS_SIZE) -> np.ndarray:
    """A (size, size, 3) uint8 RGB image of one digit near the centre, with
    a random tint, size, aspect and shift on a random textured background."""
    img, bg_colours = _background(rng, size, size)
    height = int(rng.integers(CLS_DIGIT_SIZE[0], CLS_DIGIT_SIZE[1] + 1))
    width = int(round(height * rng.uniform(0.75, 1.0)))
    v = _upscale(digit, height, width)[:size, :size]
    h, w = v.shape
    top = (size - h) // 2 + int(rng.integers(-3, 4))
    left = (size - w) // 2 + int(rng.integers(-3, 4))
    top = min(max(top, 0), size - h)
    left = min(max(left, 0), size - w)
    _paint(img, v, top, left, rng, bg_colours)
    img = img + rng.normal(0, 4, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


# --------------------------------------------------------------- the sets
def limit_sources(split: Dict[str, List[int]], targets: np.ndarray,
                  max_per_class: Optional[int]) -> Dict[str, List[int]]:
    """The first ``max_per_class`` sources of each class in each split (all
    of them if None): a seed-independent subset for quick, tiny sets."""
    if max_per_class is None:
        return split
    return {
        name:
        sorted(
            i for cls in range(10)
            for i in [j for j in idx if targets[j] == cls][:max_per_class])
        for name, idx in split.items()
    }


def _common_args(part: str, seed: int,
                 max_sources_per_class: Optional[int]) -> dict:
    return dict(
        generator=GENERATOR,
        generator_version=GENERATOR_VERSION,
        part=part,
        seed=int(seed),
        split_seed=SPLIT_SEED,
        val_fraction=VAL_FRACTION,
        max_sources_per_class=None
        if max_sources_per_class is None else int(max_sources_per_class))


def seg_args(seed: int,
             num_train: int,
             num_val: int,
             max_sources_per_class: Optional[int] = None) -> dict:
    return dict(
        _common_args('seg', seed, max_sources_per_class),
        seg_train=int(num_train),
        seg_val=int(num_val))


def cls_args(seed: int,
             train_per_digit: int,
             val_per_digit: int,
             max_sources_per_class: Optional[int] = None) -> dict:
    return dict(
        _common_args('cls', seed, max_sources_per_class),
        cls_train_per_digit=int(train_per_digit),
        cls_val_per_digit=int(val_per_digit))


def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _write_json(path: str, obj) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def _read_split(out_dir: str) -> Optional[dict]:
    split = _read_json(osp.join(out_dir, 'split.json'))
    if split is None or split.get('generator') != GENERATOR:
        return None
    return split


def seg_is_current(out_dir: str, args: dict) -> bool:
    """Whether ``out_dir/seg`` is complete and was made with ``args``."""
    root = osp.join(out_dir, 'seg')
    stamp = _read_json(osp.join(root, 'stamp.json'))
    if stamp != args or _read_split(out_dir) is None:
        return False
    names_file = osp.join(root, 'ImageSets', 'Segmentation', 'trainval.txt')
    if not osp.isfile(names_file) or not osp.isfile(
            osp.join(root, 'meta.json')):
        return False
    with open(names_file) as f:
        names = f.read().split()
    return len(names) == args['seg_train'] + args['seg_val'] and all(
        osp.isfile(osp.join(root, 'JPEGImages', n + '.jpg'))
        and osp.isfile(osp.join(root, 'SegmentationClass', n + '.png'))
        for n in names)


def cls_is_current(out_dir: str, args: dict) -> bool:
    """Whether ``out_dir/cls`` is complete and was made with ``args``."""
    root = osp.join(out_dir, 'cls')
    stamp = _read_json(osp.join(root, 'stamp.json'))
    split = _read_split(out_dir)
    if stamp is None or split is None or stamp.get('args') != args:
        return False
    counts = stamp.get('counts', {})
    for name in SPLITS:
        for cls in CLS_CLASSES:
            folder = osp.join(root, name, cls)
            expected = counts.get(name, {}).get(cls)
            if expected is None or not osp.isdir(folder) or len(
                    os.listdir(folder)) != expected:
                return False
    return True


def _check_out(out_dir: str) -> None:
    """Refuse a non-empty folder this tool did not make."""
    if osp.isdir(out_dir) and os.listdir(out_dir) \
            and _read_split(out_dir) is None:
        raise FileExistsError(
            f'make_digits: {out_dir!r} is not empty and has no split.json '
            'of make_digits; refusing to write into it (choose an empty or '
            'new folder)')


def write_seg(out_dir: str, args: dict, split: Dict[str, List[int]],
              images: np.ndarray, targets: np.ndarray) -> Dict[str, int]:
    """Write ``out_dir/seg`` (replacing an earlier one); scene counts."""
    root = osp.join(out_dir, 'seg')
    shutil.rmtree(root, ignore_errors=True)
    img_dir = osp.join(root, 'JPEGImages')
    ann_dir = osp.join(root, 'SegmentationClass')
    list_dir = osp.join(root, 'ImageSets', 'Segmentation')
    for d in (img_dir, ann_dir, list_dir):
        os.makedirs(d)
    palette = voc_palette()
    flat_palette = [v for rgb in palette for v in rgb]
    names, scenes = {}, {}
    for split_id, name in enumerate(SPLITS):
        names[name] = []
        for idx in range(args[f'seg_{name}']):
            stem = f'{name}_{idx:04d}'
            rng = np.random.default_rng([args['seed'], 0, split_id, idx])
            img, labels, placed = render_scene(rng, split[name], images,
                                               targets)
            Image.fromarray(img).save(
                osp.join(img_dir, stem + '.jpg'), quality=92)
            mask = Image.frombytes('P', labels.shape[::-1], labels.tobytes())
            mask.putpalette(flat_palette)
            mask.save(osp.join(ann_dir, stem + '.png'))
            names[name].append(stem)
            scenes[stem] = placed
    names['trainval'] = names['train'] + names['val']
    for name, stems in names.items():
        with open(osp.join(list_dir, name + '.txt'), 'w') as f:
            f.write(''.join(s + '\n' for s in stems))
    _write_json(osp.join(root, 'scenes.json'), scenes)
    _write_json(
        osp.join(root, 'meta.json'),
        dict(
            classes=list(SEG_CLASSES),
            palette=palette[:len(SEG_CLASSES)],
            ignore_index=IGNORE_INDEX,
            args=args,
            source='sklearn.datasets.load_digits (UCI optical recognition of '
            'handwritten digits, CC BY 4.0); see ../README.txt'))
    # stamp.json last: its presence marks a complete set.
    _write_json(osp.join(root, 'stamp.json'), args)
    return {k: len(v) for k, v in names.items()}


def write_cls(out_dir: str, args: dict, split: Dict[str, List[int]],
              images: np.ndarray, targets: np.ndarray) -> dict:
    """Write ``out_dir/cls`` (replacing an earlier one); counts per class."""
    root = osp.join(out_dir, 'cls')
    shutil.rmtree(root, ignore_errors=True)
    counts = {}
    for split_id, name in enumerate(SPLITS):
        per_digit = args[f'cls_{name}_per_digit']
        counts[name] = {c: 0 for c in CLS_CLASSES}
        for cls in CLS_CLASSES:
            os.makedirs(osp.join(root, name, cls))
        for src in split[name]:
            cls = CLS_CLASSES[int(targets[src])]
            for k in range(per_digit):
                rng = np.random.default_rng(
                    [args['seed'], 1, split_id, src, k])
                img = render_digit_image(rng, images[src])
                Image.fromarray(img).save(
                    osp.join(root, name, cls, f'{src:04d}_{k}.png'))
                counts[name][cls] += 1
    _write_json(osp.join(root, 'stamp.json'), dict(args=args, counts=counts))
    return counts


def make_digits(out_dir: str,
                seed: int = 0,
                seg_train: int = 600,
                seg_val: int = 200,
                cls_train_per_digit: int = 3,
                cls_val_per_digit: int = 1,
                only: Optional[str] = None,
                max_sources_per_class: Optional[int] = None) -> dict:
    """Write the requested parts under ``out_dir`` unless already current.

    ``max_sources_per_class`` restricts both sets to the first that many
    source digits of each class in each split (for tiny test sets);
    ``split.json`` still records the whole split.

    Returns:
        dict: ``out_dir``, ``skipped`` (parts already up to date),
        ``written`` (parts written) and per part the counts written.

    Raises:
        ImportError: scikit-learn is missing (only if something is written).
        FileExistsError: ``out_dir`` is a non-empty folder of something else.
        ValueError: bad counts or ``only``.
    """
    if only not in (None, 'seg', 'cls'):
        raise ValueError(f"make_digits: only must be 'seg', 'cls' or None, "
                         f'got {only!r}')
    if seg_train < 0 or seg_val < 0 or cls_train_per_digit < 0 \
            or cls_val_per_digit < 0:
        raise ValueError('make_digits: counts must be >= 0')
    if max_sources_per_class is not None and max_sources_per_class < 1:
        raise ValueError('make_digits: max_sources_per_class must be >= 1')
    parts = {}
    if only in (None, 'seg'):
        parts['seg'] = seg_args(seed, seg_train, seg_val,
                                max_sources_per_class)
    if only in (None, 'cls'):
        parts['cls'] = cls_args(seed, cls_train_per_digit, cls_val_per_digit,
                                max_sources_per_class)
    is_current = dict(seg=seg_is_current, cls=cls_is_current)
    result = dict(out_dir=out_dir, skipped=[], written=[])
    todo = {}
    for part, args in parts.items():
        if is_current[part](out_dir, args):
            result['skipped'].append(part)
        else:
            todo[part] = args
    if not todo:
        return result
    _check_out(out_dir)
    images, targets = load_source()
    os.makedirs(out_dir, exist_ok=True)
    split = split_sources(targets)
    _write_json(
        osp.join(out_dir, 'split.json'),
        dict(
            generator=GENERATOR,
            source='sklearn.datasets.load_digits',
            split_seed=SPLIT_SEED,
            val_fraction=VAL_FRACTION,
            num_sources=int(len(targets)),
            per_class={
                name: np.bincount(targets[split[name]], minlength=10).tolist()
                for name in SPLITS
            },
            **split))
    with open(osp.join(out_dir, 'README.txt'), 'w') as f:
        f.write(README_TEXT)
    used = limit_sources(split, targets, max_sources_per_class)
    writers = dict(seg=write_seg, cls=write_cls)
    for part, args in todo.items():
        result[part] = writers[part](out_dir, args, used, images, targets)
        result['written'].append(part)
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Render a VOC-layout segmentation set and an image-folder '
        "classification set from scikit-learn's handwritten digits.")
    parser.add_argument('out_dir', help='output folder (e.g. data/digits)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='rendering seed (the source split is fixed)')
    parser.add_argument(
        '--seg-train', type=int, default=600, help='training scenes')
    parser.add_argument(
        '--seg-val', type=int, default=200, help='validation scenes')
    parser.add_argument(
        '--cls-train-per-digit',
        type=int,
        default=3,
        help='renderings of each train source digit')
    parser.add_argument(
        '--cls-val-per-digit',
        type=int,
        default=1,
        help='renderings of each val source digit')
    parser.add_argument(
        '--only',
        choices=('seg', 'cls'),
        default=None,
        help='write only one of the two sets')
    parser.add_argument(
        '--max-sources-per-class',
        type=int,
        default=None,
        help='use only the first N source digits of each '
        'class in each split (quick tiny sets)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        result = make_digits(
            args.out_dir,
            seed=args.seed,
            seg_train=args.seg_train,
            seg_val=args.seg_val,
            cls_train_per_digit=args.cls_train_per_digit,
            cls_val_per_digit=args.cls_val_per_digit,
            only=args.only,
            max_sources_per_class=args.max_sources_per_class)
    except (ImportError, FileExistsError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        raise SystemExit(1)
    for part in result['skipped']:
        print(f'{args.out_dir}: {part} set already up to date with these '
              'arguments, skipped')
    if result['written']:
        result['seconds'] = round(time.perf_counter() - start, 2)
        print(json.dumps(result, indent=2))
    return result


if __name__ == '__main__':
    main()

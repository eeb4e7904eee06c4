"""The toy shapes dataset as COCO-format JSON (polygons, RLE, crowd).

Same look as :mod:`selfkd_research.synthetic_data.toy_voc` (coloured shapes
on a textured background), but every object is an annotation, so the files
exercise what a labelling tool exports:

* polygons (circles are 24-gons), some reaching outside the image;
* compressed-string and uncompressed-list RLE masks;
* ``iscrowd=1`` regions (a cluster of small discs as one RLE);
* overlapping objects, listed in random order (the painting order is by
  decreasing area, matching the dataset's ``'smaller_on_top'`` rule);
* non-contiguous category ids (1, 3, 7, 12) and ``supercategory`` fields.

Layout written under ``root``::

    images/{train,val}_NNNN.jpg
    annotations/{train,val}.json

Deterministic for given arguments (per-image random streams).
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from selfkd_seg.utils.coco_rasterize import decode_rle
from .toy_voc import _background, _rotated, _shape_appearance

#: category id -> name; ids are non-contiguous on purpose.
TOY_COCO_CATEGORIES = ((1, 'circle'), (3, 'square'), (7, 'triangle'),
                       (12, 'stripes'))


def _shape_polygon(rng: np.random.Generator, shape: str, h: int,
                   w: int) -> List[float]:
    """A flat [x1, y1, ...] polygon of one placed, sized, rotated shape."""
    short = min(h, w)
    radius = rng.uniform(0.12, 0.3) * short
    cx, cy = rng.uniform(0.1 * w, 0.9 * w), rng.uniform(0.1 * h, 0.9 * h)
    angle = rng.uniform(0, 2 * np.pi)
    if shape == 'circle':
        t = np.arange(24) * 2 * np.pi / 24
        corners = np.stack([np.cos(t), np.sin(t)], axis=1)
    elif shape == 'square':
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * 0.8
    elif shape == 'triangle':
        t = np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        corners = np.stack([np.cos(t), np.sin(t)], axis=1)
    else:  # stripes: an elongated rectangle
        corners = np.array([[-1, -0.55], [1, -0.55], [1, 0.55], [-1, 0.55]])
    pts = _rotated(corners * radius, angle) + [cx, cy]
    return [round(float(v), 2) for v in pts.ravel()]


def _poly_mask(poly: List[float], h: int, w: int) -> np.ndarray:
    return decode_rle(mask_utils.merge(mask_utils.frPyObjects([poly], h, w)))


def _uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's list-of-runs RLE (column-major, starting with zeros)."""
    flat = mask.ravel(order='F').astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0] + runs
    return dict(size=list(mask.shape), counts=runs)


def _compressed_rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=list(mask.shape), counts=rle['counts'].decode())


def render_toy_coco_sample(
        rng: np.random.Generator,
        img_size: Tuple[int, int],
        crowd_prob: float = 0.25) -> Tuple[np.ndarray, List[dict]]:
    """One image and its annotations (without ids/image_id).

    Returns:
        tuple: uint8 RGB image (H, W, 3) and a list of annotation dicts with
        ``category_id``, ``segmentation``, ``area``, ``bbox``, ``iscrowd``.
    """
    h, w = img_size
    img = _background(rng, h, w)
    cats = [c for c, _ in TOY_COCO_CATEGORIES]
    names = dict(TOY_COCO_CATEGORIES)
    objects = []
    if rng.uniform() < crowd_prob:
        # a crowd: several small discs of one class, one RLE, painted first
        cat = int(rng.choice(cats))
        mask = np.zeros((h, w), dtype=bool)
        yy, xx = np.mgrid[0:h, 0:w]
        for _ in range(3):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            r = rng.uniform(0.04, 0.08) * min(h, w)
            mask |= (xx + 0.5 - cx)**2 + (yy + 0.5 - cy)**2 < r * r
        if mask.any():
            objects.append((np.inf, cat, mask, _compressed_rle(mask), 1))
    for _ in range(rng.integers(1, 5)):
        cat = int(rng.choice(cats))
        poly = _shape_polygon(rng, names[cat], h, w)
        mask = _poly_mask(poly, h, w)
        if not mask.any():
            continue
        kind = rng.uniform()
        if kind < 0.6:
            segm = [poly]
        elif kind < 0.8:
            segm = _compressed_rle(mask)
        else:
            segm = _uncompressed_rle(mask)
        objects.append((int(mask.sum()), cat, mask, segm, 0))
    # paint big first so the picture agrees with 'smaller_on_top'
    for _, cat, mask, _, _ in sorted(objects, key=lambda o: -o[0]):
        img[mask] = _shape_appearance(rng, names[cat], h, w)[mask]
    img = img + rng.normal(0, 8, size=img.shape)
    anns = []
    for area, cat, mask, segm, crowd in objects:
        ys, xs = np.nonzero(mask)
        x0, y0 = int(xs.min()), int(ys.min())
        anns.append(
            dict(
                category_id=cat,
                segmentation=segm,
                area=int(mask.sum()),
                bbox=[x0, y0,
                      int(xs.max()) + 1 - x0,
                      int(ys.max()) + 1 - y0],
                iscrowd=crowd))
    order = rng.permutation(len(anns))  # file order != painting order
    return np.clip(img, 0, 255).astype(np.uint8), [anns[i] for i in order]


def make_toy_coco(root: str,
                  num_train: int = 96,
                  num_val: int = 32,
                  img_size: Sequence[int] = (128, 128),
                  seed: int = 0,
                  crowd_prob: float = 0.25) -> Dict:
    """Write the toy COCO-format dataset to ``root``.

    Args:
        root (str): Output folder (created; files of the same names are
            overwritten).
        num_train (int): Images in ``annotations/train.json``.
        num_val (int): Images in ``annotations/val.json``.
        img_size (Sequence[int]): (H, W). Defaults to (128, 128).
        seed (int): Random seed. Defaults to 0.
        crowd_prob (float): Chance that an image gets a crowd region.

    Returns:
        dict: ``root``, ``ann_files`` (split -> JSON path), ``img_dir``,
        ``categories`` and ``num_annotations`` per split.
    """
    if len(img_size) != 2 or min(img_size) < 16:
        raise ValueError('make_toy_coco: img_size must be (H, W) with both '
                         f'sides >= 16, got {tuple(img_size)}')
    img_dir = osp.join(root, 'images')
    ann_dir = osp.join(root, 'annotations')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    categories = [
        dict(id=cid, name=name, supercategory='shape')
        for cid, name in TOY_COCO_CATEGORIES
    ]
    ann_files, num_anns = {}, {}
    split_sizes = (('train', num_train), ('val', num_val))
    for split_id, (split, num) in enumerate(split_sizes):
        images, anns = [], []
        for idx in range(num):
            rng = np.random.default_rng([seed, split_id, idx, 7])
            img, img_anns = render_toy_coco_sample(rng, tuple(img_size),
                                                   crowd_prob)
            file_name = f'{split}_{idx:04d}.jpg'
            Image.fromarray(img).save(osp.join(img_dir, file_name), quality=92)
            image_id = 1000 * (split_id + 1) + idx
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    height=int(img_size[0]),
                    width=int(img_size[1])))
            for ann in img_anns:
                ann.update(id=len(anns) + 1, image_id=image_id)
                anns.append(ann)
        path = osp.join(ann_dir, f'{split}.json')
        with open(path, 'w') as f:
            json.dump(
                dict(
                    info=dict(description='selfkd_seg toy shapes'),
                    images=images,
                    annotations=anns,
                    categories=categories), f)
        ann_files[split] = path
        num_anns[split] = len(anns)
    return dict(
        root=root,
        ann_files=ann_files,
        img_dir=img_dir,
        categories=categories,
        num_annotations=num_anns)


def main(argv=None) -> dict:
    """The command line of ``tools/dataset_converters/make_toy_coco.py``."""
    parser = argparse.ArgumentParser(
        description='Write the toy shapes dataset as COCO-format JSON.')
    parser.add_argument('out_dir', help='output folder (e.g. data/toy_coco)')
    parser.add_argument('--num-train', type=int, default=96)
    parser.add_argument('--num-val', type=int, default=32)
    parser.add_argument(
        '--size', type=int, nargs=2, default=[128, 128], metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    summary = make_toy_coco(args.out_dir, args.num_train, args.num_val,
                            tuple(args.size), args.seed)
    print(json.dumps(summary, indent=2))
    return summary


# python -m selfkd_research.synthetic_data.toy_coco OUT ...  (checkout root)
if __name__ == '__main__':
    main()

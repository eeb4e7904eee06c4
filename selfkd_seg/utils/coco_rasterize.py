"""COCO-format annotations -> semantic label maps, cached on disk.

Used by :class:`~selfkd_seg.datasets.COCOSemanticDataset` and by
``tools/dataset_converters/coco_to_voc.py`` so both produce the same masks.

Rules (bump :data:`RASTERIZE_VERSION` when any of them changes; that
invalidates every cache):

* Labels: background is 0; categories sorted by ``id`` get 1..K, class names
  are their ``name`` fields (``reduce_zero_label`` is not used). Palette:
  a category's ``color`` field ([r, g, b]) if it has one, else the Pascal VOC
  colour of its label (background black).
* Polygons (``[[x1, y1, x2, y2, ...], ...]``, pixel-corner coordinates) and
  RLE (compressed string or uncompressed list ``counts``) are rasterized by
  pycocotools.  Parts of a polygon outside the image are clipped (counted in
  the warnings).  A polygon with fewer than 3 points has no area and is
  dropped with a warning; an odd coordinate count, an RLE whose ``size`` is
  not the image's or whose counts do not sum to H*W is an error.
* Overlaps: ``'smaller_on_top'`` (default) paints annotations by decreasing
  rasterized area, so the smaller object wins where two overlap (ties: the
  later one in the file wins); ``'later_on_top'`` paints in file order.
* Crowd (``iscrowd=1``): ``'ignore'`` (default) paints the region with the
  ignore index *below* every non-crowd annotation (a labelled object inside a
  crowd region keeps its label); ``'category'`` treats it as an ordinary
  annotation of its category.
* An image without annotations is all background (warned with a count);
  annotations with an empty ``segmentation`` (boxes only) are skipped
  (warned); if no annotation has one, the JSON is rejected.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import uuid
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from .palette import voc_palette

#: Bumped whenever the rasterization rules change (invalidates caches).
RASTERIZE_VERSION = 1
OVERLAP_RULES = ('smaller_on_top', 'later_on_top')
CROWD_RULES = ('ignore', 'category')
MANIFEST = 'manifest.json'
_MASK_DIR = 'masks'


class COCOFormatError(ValueError):
    """A COCO-format JSON that cannot be turned into label maps."""


def _rle_string_counts(counts: str) -> List[int]:
    """Run lengths of a compressed COCO RLE string (pycocotools'
    ``rleFrString``), so their sum can be checked before decoding."""
    runs, pos = [], 0
    while pos < len(counts):
        value, shift, more = 0, 0, True
        while more:
            char = ord(counts[pos]) - 48
            value |= (char & 0x1f) << (5 * shift)
            more = bool(char & 0x20)
            pos += 1
            shift += 1
            if not more and char & 0x10:
                value |= -1 << (5 * shift)
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def annotation_mask(ann: dict,
                    height: int,
                    width: int,
                    stats: Optional[dict] = None) -> Optional[np.ndarray]:
    """Rasterize one annotation's ``segmentation`` to a bool (H, W) mask.

    Returns None when it has no usable segmentation (empty, or only
    degenerate polygons); ``stats`` (if given) counts those cases and
    clipped polygons. Malformed input raises :class:`COCOFormatError`.
    """
    stats = stats if stats is not None else {}
    segm = ann.get('segmentation')
    where = f"annotation id={ann.get('id')!r} (image_id={ann['image_id']!r})"
    if not segm:
        stats['no_segmentation'] = stats.get('no_segmentation', 0) + 1
        return None
    if isinstance(segm, list):
        polys = []
        for poly in segm:
            if not isinstance(poly, (list, tuple)) or not all(
                    isinstance(v, (int, float)) for v in poly):
                raise COCOFormatError(
                    f'{where}: a polygon must be a flat list of numbers '
                    f'[x1, y1, x2, y2, ...], got {str(poly)[:80]}')
            if len(poly) % 2:
                raise COCOFormatError(
                    f'{where}: polygon has an odd number of coordinates '
                    f'({len(poly)}); expected x, y pairs')
            if len(poly) < 6:
                # pycocotools would read 4 numbers as a box: not a polygon
                stats['degenerate'] = stats.get('degenerate', 0) + 1
                continue
            xs, ys = np.asarray(poly[0::2]), np.asarray(poly[1::2])
            if (xs.min() < 0 or ys.min() < 0 or xs.max() > width
                    or ys.max() > height):
                stats['clipped'] = stats.get('clipped', 0) + 1
            polys.append([float(v) for v in poly])
        if not polys:
            return None
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
    elif isinstance(segm, dict) and 'counts' in segm and 'size' in segm:
        if list(segm['size']) != [height, width]:
            raise COCOFormatError(
                f'{where}: RLE size {list(segm["size"])} (HxW) differs from '
                f'the image size [{height}, {width}]')
        counts = segm['counts']
        if isinstance(counts, list):
            runs = counts
            rle = mask_utils.frPyObjects(segm, height, width)
        elif isinstance(counts, (str, bytes)):
            text = counts.decode() if isinstance(counts, bytes) else counts
            runs = _rle_string_counts(text)
            rle = dict(size=[height, width], counts=text.encode())
        else:
            raise COCOFormatError(
                f'{where}: RLE counts must be a list or a string, got '
                f'{type(counts).__name__}')
        if sum(runs) != height * width or min(runs, default=0) < 0:
            raise COCOFormatError(
                f'{where}: RLE run lengths sum to {sum(runs)}, expected '
                f'H*W = {height * width} (corrupt or for another size)')
    else:
        raise COCOFormatError(
            f'{where}: segmentation must be a list of polygons or an RLE '
            f'dict with "counts" and "size", got {str(segm)[:80]}')
    return decode_rle(rle)


def decode_rle(rle: dict) -> np.ndarray:
    """pycocotools' decode as a bool (H, W) array."""
    with warnings.catch_warnings():
        # pycocotools' Cython array shim predates numpy 2's copy keyword
        warnings.filterwarnings(
            'ignore',
            message='__array__ implementation',
            category=DeprecationWarning)
        return mask_utils.decode(rle).astype(bool)


def rasterize_annotations(anns: Sequence[dict],
                          height: int,
                          width: int,
                          cat_to_label: Dict[int, int],
                          overlap: str = 'smaller_on_top',
                          crowd: str = 'ignore',
                          ignore_index: int = 255,
                          stats: Optional[dict] = None) -> np.ndarray:
    """The uint8 (H, W) label map of one image's annotations.

    See the module docstring for the overlap and crowd rules.
    ``cat_to_label`` maps category ids to labels (unknown ids raise).
    """
    if overlap not in OVERLAP_RULES:
        raise ValueError(f'overlap must be one of {OVERLAP_RULES}, got '
                         f'{overlap!r}')
    if crowd not in CROWD_RULES:
        raise ValueError(f'crowd must be one of {CROWD_RULES}, got '
                         f'{crowd!r}')
    labels = np.zeros((height, width), dtype=np.uint8)
    crowd_masks, layers = [], []
    for order, ann in enumerate(anns):
        cat = ann.get('category_id')
        if cat not in cat_to_label:
            raise COCOFormatError(
                f"annotation id={ann.get('id')!r}: unknown category_id "
                f'{cat!r} (not in "categories": '
                f'{sorted(cat_to_label, key=str)})')
        mask = annotation_mask(ann, height, width, stats)
        if mask is None:
            continue
        if ann.get('iscrowd', 0) and crowd == 'ignore':
            crowd_masks.append(mask)
            continue
        area = int(mask.sum())
        key = -area if overlap == 'smaller_on_top' else 0
        layers.append((key, order, mask, cat_to_label[cat]))
    for mask in crowd_masks:
        labels[mask] = ignore_index
    # stable sort: larger areas first, file order among equals
    for _, _, mask, label in sorted(layers, key=lambda x: (x[0], x[1])):
        labels[mask] = label
    return labels


def _require(data: dict, key: str, json_path: str) -> list:
    if not isinstance(data, dict) or key not in data:
        raise COCOFormatError(
            f'{json_path!r} has no top-level "{key}" key; a COCO-format '
            'JSON needs "images", "annotations" and "categories"')
    if not isinstance(data[key], list):
        raise COCOFormatError(f'{json_path!r}: "{key}" must be a list, got '
                              f'{type(data[key]).__name__}')
    return data[key]


def parse_categories(
        categories: Sequence[dict],
        json_path: str,
        background: str = 'background') -> Tuple[Dict[int, int], tuple, list]:
    """Category ids -> labels 1..K (sorted by id), class names, palette."""
    ids = [c.get('id') for c in categories]
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        raise COCOFormatError(
            f'{json_path!r}: every category needs a unique "id", got {ids}')
    if not categories:
        raise COCOFormatError(f'{json_path!r}: "categories" is empty')
    if len(categories) > 254:
        raise COCOFormatError(
            f'{json_path!r}: {len(categories)} categories; at most 254 fit '
            'in 8-bit label maps (label 0 is background, 255 ignore)')
    cats = sorted(categories, key=lambda c: c['id'])
    names = [str(c.get('name', c['id'])) for c in cats]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated or background in names:
        raise COCOFormatError(
            f'{json_path!r}: category names must be unique and differ from '
            f'the background class {background!r} (label 0); repeated or '
            f'clashing: {duplicated or [background]}')
    cat_to_label = {c['id']: i + 1 for i, c in enumerate(cats)}
    voc = voc_palette(len(cats) + 1)
    palette = [voc[0]]
    for label, cat in enumerate(cats, start=1):
        colour = cat.get('color')
        if colour is not None:
            if (len(colour) != 3
                    or not all(0 <= int(v) <= 255 for v in colour)):
                raise COCOFormatError(
                    f'{json_path!r}: category id={cat["id"]} has color '
                    f'{colour}; expected [r, g, b] in 0..255')
            palette.append([int(v) for v in colour])
        else:
            palette.append(voc[label])
    return cat_to_label, tuple([background] + names), palette


def cache_key(json_bytes: bytes, **options) -> str:
    """Hash of the JSON's content, the rule version and the options."""
    digest = hashlib.sha256(json_bytes)
    digest.update(
        json.dumps(dict(version=RASTERIZE_VERSION, **options),
                   sort_keys=True).encode())
    return digest.hexdigest()[:16]


def default_cache_dir(json_path: str) -> str:
    """``<folder of the JSON>/semantic_masks``."""
    return osp.join(osp.dirname(osp.abspath(json_path)), 'semantic_masks')


def _write_mask(path: str, labels: np.ndarray, flat_palette: list) -> None:
    img = Image.frombytes('P', labels.shape[::-1], labels.tobytes())
    img.putpalette(flat_palette)
    img.save(path, compress_level=1)  # label maps compress well anyway


def _check_image_size(path: str, height: int, width: int, image_id) -> None:
    with Image.open(path) as img:
        size = img.size
        # mmcv's loaders apply the EXIF orientation: 5..8 swap the sides
        if img.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            size = size[::-1]
    if size != (width, height):
        raise COCOFormatError(
            f'image id={image_id!r} {path!r} is {size[1]}x{size[0]} (HxW, '
            f'as loaded) but the JSON says {height}x{width}; the masks '
            'would not align (fix "height"/"width" in "images")')


def build_semantic_masks(json_path: str,
                         img_dir: str = '',
                         cache_dir: Optional[str] = None,
                         overlap: str = 'smaller_on_top',
                         crowd: str = 'ignore',
                         ignore_index: int = 255,
                         background: str = 'background') -> dict:
    """Rasterize a COCO-format JSON once; return the cache's manifest.

    The masks go to ``<cache_dir>/<json stem>-<key>/masks/<image id>.png``
    where ``key`` hashes the JSON's bytes, :data:`RASTERIZE_VERSION` and the
    options, so an edited JSON or other options get a new folder and an
    unchanged one is reused without decoding anything.  ``manifest.json`` is
    written last and the folder is renamed into place, so an interrupted or
    concurrent build never leaves a half cache in use.

    Args:
        json_path (str): The COCO-format annotation file.
        img_dir (str): Folder the images' ``file_name`` are relative to;
            images found there are checked against the JSON's
            ``height``/``width`` while building. Missing images are
            rasterized anyway (the dataset decides what to do with them).
        cache_dir (str, optional): Where cache folders live. Defaults to
            ``semantic_masks`` next to the JSON.
        overlap (str): 'smaller_on_top' or 'later_on_top'.
        crowd (str): 'ignore' or 'category'.
        ignore_index (int): Label of crowd pixels. Defaults to 255.
        background (str): Name of label 0. Defaults to 'background'.

    Returns:
        dict: the manifest: ``classes``, ``palette``, ``samples`` (list of
        dicts with ``id``, ``file_name``, ``mask`` relative to ``folder``,
        ``height``, ``width``, ``num_anns``), ``stats`` (``pixels`` and
        ``images`` per class, counts of empty images, clipped/degenerate
        polygons, annotations without segmentation, crowd regions), the
        absolute ``folder``, the ``key`` and ``reused`` (True on a hit).
    """
    if not osp.isfile(json_path):
        raise FileNotFoundError(
            f'COCO annotation file {json_path!r} does not exist')
    with open(json_path, 'rb') as f:
        raw = f.read()
    options = dict(
        overlap=overlap,
        crowd=crowd,
        ignore_index=int(ignore_index),
        background=background)
    if overlap not in OVERLAP_RULES or crowd not in CROWD_RULES:
        raise ValueError(f'overlap must be one of {OVERLAP_RULES} and crowd '
                         f'one of {CROWD_RULES}, got {overlap!r}, {crowd!r}')
    key = cache_key(raw, **options)
    stem = osp.splitext(osp.basename(json_path))[0]
    folder = osp.join(
        cache_dir or default_cache_dir(json_path), f'{stem}-{key}')
    manifest = _read_manifest(folder, key)
    if manifest is not None:
        _warn_counts(json_path, manifest['stats'])
        manifest.update(folder=osp.abspath(folder), reused=True)
        return manifest

    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise COCOFormatError(
            f'{json_path!r} is not valid JSON: {err}') from err
    images = _require(data, 'images', json_path)
    anns = _require(data, 'annotations', json_path)
    categories = _require(data, 'categories', json_path)
    cat_to_label, classes, palette = parse_categories(categories, json_path,
                                                      background)

    by_image: Dict[object, List[dict]] = {}
    for img in images:
        for field in ('id', 'file_name', 'height', 'width'):
            if field not in img:
                raise COCOFormatError(
                    f'{json_path!r}: image {str(img)[:80]} has no '
                    f'"{field}"')
        if img['id'] in by_image:
            raise COCOFormatError(
                f'{json_path!r}: image id {img["id"]!r} appears twice in '
                '"images"')
        by_image[img['id']] = []
    names = [img['file_name'] for img in images]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:5]
        raise COCOFormatError(
            f'{json_path!r}: file_name repeated in "images": {dup}')
    for ann in anns:
        if ann.get('image_id') not in by_image:
            raise COCOFormatError(
                f'{json_path!r}: annotation id={ann.get("id")!r} points at '
                f'image_id={ann.get("image_id")!r}, which is not in '
                '"images"')
        if ann.get('category_id') not in cat_to_label:
            raise COCOFormatError(
                f'{json_path!r}: annotation id={ann.get("id")!r} has '
                f'unknown category_id {ann.get("category_id")!r} (known '
                f'ids: {sorted(cat_to_label)})')
        by_image[ann['image_id']].append(ann)

    tmp = f'{folder}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}'
    os.makedirs(osp.join(tmp, _MASK_DIR))
    flat_palette = [v for rgb in palette for v in rgb]
    flat_palette += [0] * (768 - len(flat_palette))
    flat_palette[3 * 255:] = [224, 224, 192]  # VOC's ignore colour
    counts = dict(
        empty_images=0,
        clipped=0,
        degenerate=0,
        no_segmentation=0,
        crowd=sum(1 for a in anns if a.get('iscrowd', 0)))
    pixels = np.zeros(len(classes), dtype=np.int64)
    present = np.zeros(len(classes), dtype=np.int64)
    samples = []
    try:
        for img in images:
            height, width = int(img['height']), int(img['width'])
            path = osp.join(img_dir, img['file_name'])
            if osp.isfile(path):
                _check_image_size(path, height, width, img['id'])
            img_anns = by_image[img['id']]
            counts['empty_images'] += not img_anns
            labels = rasterize_annotations(img_anns, height, width,
                                           cat_to_label, overlap, crowd,
                                           ignore_index, counts)
            hist = np.bincount(labels.ravel(), minlength=256)
            pixels += hist[:len(classes)]
            present += hist[:len(classes)] > 0
            mask_name = f'{_MASK_DIR}/{_safe_name(img["id"])}.png'
            _write_mask(osp.join(tmp, mask_name), labels, flat_palette)
            samples.append(
                dict(
                    id=img['id'],
                    file_name=img['file_name'],
                    mask=mask_name,
                    height=height,
                    width=width,
                    num_anns=len(img_anns)))
        if anns and counts['no_segmentation'] == len(anns):
            raise COCOFormatError(
                f'{json_path!r}: none of its {len(anns)} annotations has a '
                '"segmentation" (a box-only detection JSON?); semantic '
                'segmentation needs polygons or RLE masks')
        manifest = dict(
            key=key,
            version=RASTERIZE_VERSION,
            json_path=osp.abspath(json_path),
            options=options,
            classes=list(classes),
            palette=palette,
            samples=samples,
            stats=dict(
                pixels=dict(zip(classes, pixels.tolist())),
                images=dict(zip(classes, present.tolist())),
                ignore_pixels=int(
                    sum(s['height'] * s['width']
                        for s in samples) - pixels.sum()),
                **counts))
        with open(osp.join(tmp, MANIFEST), 'w') as f:
            json.dump(manifest, f)
        os.makedirs(osp.dirname(folder), exist_ok=True)
        try:
            os.rename(tmp, folder)
        except OSError:
            # another process finished first (use its cache), or a damaged
            # cache is in the way (replace it)
            if _read_manifest(folder, key) is None:
                shutil.rmtree(folder)
                os.rename(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _warn_counts(json_path, manifest['stats'])
    manifest.update(folder=osp.abspath(folder), reused=False)
    return manifest


def _safe_name(image_id) -> str:
    return ''.join(c if c.isalnum() or c in '-_.' else '_'
                   for c in str(image_id))


def _read_manifest(folder: str, key: str) -> Optional[dict]:
    path = osp.join(folder, MANIFEST)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get('key') != key or not all(
            osp.isfile(osp.join(folder, s['mask']))
            for s in manifest['samples']):
        return None
    return manifest


def _warn_counts(json_path: str, stats: dict) -> None:
    messages = dict(
        empty_images='images have no annotation and are all background',
        clipped='polygons reach outside their image and were clipped',
        degenerate='polygons have fewer than 3 points and were dropped',
        no_segmentation='annotations have no "segmentation" and were '
        'skipped')
    for name, text in messages.items():
        if stats.get(name):
            warnings.warn(f'{json_path}: {stats[name]} {text}')

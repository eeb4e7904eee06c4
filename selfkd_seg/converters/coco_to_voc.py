"""COCO-format JSON(s) -> Pascal VOC layout, with class statistics.

The library behind ``tools/dataset_converters/coco_to_voc.py``::

    python tools/dataset_converters/coco_to_voc.py OUT \
        --split train data/my/annotations/train.json data/my/images \
        --split val data/my/annotations/val.json data/my/images

Writes::

    OUT/JPEGImages/<name><ext>          the images (copied, or --symlink)
    OUT/SegmentationClass/<name>.png    palette label maps (0 background,
                                        categories 1..K by id, 255 ignore)
    OUT/ImageSets/Segmentation/<split>.txt
    OUT/meta.json                       classes, palette, img_suffix, stats

The masks are exactly what ``COCOSemanticDataset`` serves (same
rasterization code and cache, see :mod:`selfkd_seg.utils.coco_rasterize`),
so training on the JSON or on the converted folder (``VOCLayoutDataset`` with
``img_suffix`` from meta.json) is the same.  ``<name>`` is the image's
``file_name`` without extension, with '/' replaced by '__' (``_<id>`` is
appended if two images would get the same name).  Images of mixed formats
are re-encoded to PNG so one ``img_suffix`` fits all.  Prints, per split,
the pixels and images of every class.
"""
import json
import os
import os.path as osp
import shutil
from collections import Counter

from PIL import Image

from selfkd_seg.utils.coco_rasterize import build_semantic_masks


def _voc_name(file_name: str, image_id, used: dict) -> str:
    name = osp.splitext(file_name)[0].replace('\\', '/').lstrip('/')
    name = name.replace('/', '__')
    if used.get(name, file_name) != file_name:
        name = f'{name}_{image_id}'
    used[name] = file_name
    return name


def format_stats(split: str, stats: dict) -> str:
    """A table of pixels and images per class."""
    total = sum(stats['pixels'].values()) + stats['ignore_pixels']
    width = max(len(c) for c in stats['pixels']) + 2
    lines = [
        f'[{split}] {stats["num_images"]} images',
        f'{"class":<{width}}{"pixels":>12}{"share":>9}{"images":>8}'
    ]
    for name, pixels in stats['pixels'].items():
        lines.append(f'{name:<{width}}{pixels:>12}'
                     f'{100 * pixels / max(total, 1):>8.2f}%'
                     f'{stats["images"][name]:>8}')
    lines.append(f'{"(ignore 255)":<{width}}{stats["ignore_pixels"]:>12}'
                 f'{100 * stats["ignore_pixels"] / max(total, 1):>8.2f}%')
    return '\n'.join(lines)


def convert(out_dir: str,
            splits: dict,
            symlink: bool = False,
            cache_dir: str = None,
            overlap: str = 'smaller_on_top',
            crowd: str = 'ignore',
            skip_missing: bool = False) -> dict:
    """Convert ``splits`` (name -> (json_path, img_dir)) into ``out_dir``.

    Returns:
        dict: what meta.json holds: ``classes``, ``palette``,
        ``img_suffix``, ``splits`` (name -> image names) and ``stats``
        (name -> pixels/images per class, ignore pixels, image count).
    """
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(
            f'coco_to_voc: {out_dir!r} is not empty; choose a new folder')
    manifests = {
        split:
        build_semantic_masks(
            json_path, img_dir, cache_dir, overlap=overlap, crowd=crowd)
        for split, (json_path, img_dir) in splits.items()
    }
    classes = next(iter(manifests.values()))['classes']
    for split, manifest in manifests.items():
        if manifest['classes'] != classes:
            raise ValueError(
                f'coco_to_voc: split {split!r} has classes '
                f"{manifest['classes']}, another split has {classes}; all "
                'JSONs must share the same categories')
    sources = {}
    for split, manifest in manifests.items():
        img_dir = splits[split][1]
        kept = []
        for sample in manifest['samples']:
            path = osp.join(img_dir, sample['file_name'])
            if osp.isfile(path):
                kept.append((sample, path))
            elif not skip_missing:
                raise FileNotFoundError(
                    f'coco_to_voc: image {path!r} of '
                    f"{manifest['json_path']!r} does not exist (pass "
                    '--skip-missing to leave such images out)')
            else:
                print(f'skipped missing image {path}')
        sources[split] = kept
    exts = Counter(
        osp.splitext(p)[1].lower() for kept in sources.values()
        for _, p in kept)
    reencode = len(exts) > 1
    img_suffix = '.png' if reencode else (next(iter(exts)) if exts else '.jpg')
    if reencode:
        print(f'images have mixed formats {dict(exts)}: writing all as PNG')

    img_out = osp.join(out_dir, 'JPEGImages')
    ann_out = osp.join(out_dir, 'SegmentationClass')
    split_out = osp.join(out_dir, 'ImageSets', 'Segmentation')
    for folder in (img_out, ann_out, split_out):
        os.makedirs(folder, exist_ok=True)
    used, names_of, written = {}, {}, {}
    for split, kept in sources.items():
        folder = manifests[split]['folder']
        names = []
        for sample, path in kept:
            key = osp.abspath(path)
            if key not in written:  # an image may be in several splits
                name = _voc_name(sample['file_name'], sample['id'], used)
                dst = osp.join(img_out, name + img_suffix)
                if reencode:
                    with Image.open(path) as img:
                        img.save(dst)
                elif symlink:
                    os.symlink(osp.abspath(path), dst)
                else:
                    shutil.copyfile(path, dst)
                shutil.copyfile(
                    osp.join(folder, sample['mask']),
                    osp.join(ann_out, name + '.png'))
                written[key] = name
            names.append(written[key])
        names_of[split] = names
        with open(osp.join(split_out, f'{split}.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))

    stats = {}
    for split, manifest in manifests.items():
        s = manifest['stats']
        stats[split] = dict(
            pixels=s['pixels'],
            images=s['images'],
            ignore_pixels=s['ignore_pixels'],
            num_images=len(manifest['samples']),
            empty_images=s['empty_images'])
    meta = dict(
        classes=classes,
        palette=next(iter(manifests.values()))['palette'],
        img_suffix=img_suffix,
        ignore_index=255,
        converted_from={
            s: osp.abspath(j)
            for s, (j, _) in splits.items()
        },
        splits=names_of,
        stats=stats)
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    return meta

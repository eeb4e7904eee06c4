"""COCO-format JSON(s) -> Pascal VOC layout, with class statistics.

    python tools/dataset_converters/coco_to_voc.py OUT \
        --split train data/my/annotations/train.json data/my/images \
        --split val data/my/annotations/val.json data/my/images

Writes ``OUT/{JPEGImages,SegmentationClass,ImageSets/Segmentation}`` and
``OUT/meta.json`` (classes, palette, img_suffix, stats) with the masks
``COCOSemanticDataset`` serves, and prints per split the pixels and images
of every class.  The command line of
:func:`selfkd_seg.converters.coco_to_voc.convert` (the module's docstring
has the details).
"""
import argparse
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SELFKD_SEG_REGISTRY = False  # writes files only: no models to register

from selfkd_seg.converters.coco_to_voc import convert, format_stats
from selfkd_seg.utils.coco_rasterize import CROWD_RULES, OVERLAP_RULES


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write COCO-format segmentation annotations as a '
        'Pascal VOC-layout dataset and print class statistics.')
    parser.add_argument('out_dir', help='output folder (new or empty)')
    parser.add_argument(
        '--split',
        nargs=3,
        action='append',
        required=True,
        metavar=('NAME', 'JSON', 'IMG_DIR'),
        help='a split: its name, COCO JSON and the folder its file_name '
        'entries are relative to (repeat for every split)')
    parser.add_argument(
        '--symlink',
        action='store_true',
        help='link images instead of copying them')
    parser.add_argument(
        '--cache-dir',
        help='rasterization cache (default: semantic_masks next to each '
        'JSON, shared with COCOSemanticDataset)')
    parser.add_argument(
        '--overlap', choices=OVERLAP_RULES, default='smaller_on_top')
    parser.add_argument('--crowd', choices=CROWD_RULES, default='ignore')
    parser.add_argument(
        '--skip-missing',
        action='store_true',
        help='leave out images whose files do not exist (default: error)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Convert as the command line ``argv`` says; return ``meta.json``'s
    content."""
    args = parse_args(argv)
    splits = {}
    for name, json_path, img_dir in args.split:
        if name in splits:
            raise ValueError(f'split {name!r} given twice')
        splits[name] = (json_path, img_dir)
    meta = convert(args.out_dir, splits, args.symlink, args.cache_dir,
                   args.overlap, args.crowd, args.skip_missing)
    for split, stats in meta['stats'].items():
        print(format_stats(split, stats))
    print(f"wrote {args.out_dir}: {len(meta['classes'])} classes "
          f"(num_classes={len(meta['classes'])}), img_suffix="
          f"{meta['img_suffix']!r}")
    return meta


if __name__ == '__main__':
    main()

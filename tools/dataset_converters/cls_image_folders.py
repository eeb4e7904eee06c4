"""Arrange the FRSKD classification datasets as class folders.

    python tools/dataset_converters/cls_image_folders.py DATASET SRC DST
        [--copy]

DATASET is one of ``tiny-imagenet``, ``cub200``, ``mit67``, ``stanford40``,
``dogs``; SRC the extracted official archive; DST the folder the configs
read.  Writes ``DST/<split>/<class>/<image>`` (symlinks; ``--copy`` copies).
The command line of :func:`selfkd_seg.converters.cls_image_folders.convert`
(the module's docstring lists the official split files read).
"""
import argparse
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SELFKD_SEG_REGISTRY = False  # writes files only: no models to register

from selfkd_seg.converters.cls_image_folders import READERS, convert


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Arrange the FRSKD classification datasets as class '
        'folders.')
    parser.add_argument('dataset', choices=sorted(READERS))
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--copy', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Convert as the command line ``argv`` says; return the images per
    split."""
    args = parse_args(argv)
    counts = convert(args.dataset, args.src, args.dst, args.copy)
    print(', '.join(f'{k}: {v} images'
                    for k, v in sorted(counts.items())) + f' -> {args.dst}')
    return counts


if __name__ == '__main__':
    main()

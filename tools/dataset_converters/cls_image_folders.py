"""Arrange the FRSKD classification datasets as class folders.

    python tools/dataset_converters/cls_image_folders.py DATASET SRC DST
        [--copy]

DATASET is one of ``tiny-imagenet``, ``cub200``, ``mit67``, ``stanford40``,
``dogs``; SRC the extracted official archive; DST the folder the configs
read.  Writes ``DST/<split>/<class>/<image>`` (symlinks; ``--copy`` copies).
A thin wrapper over :mod:`selfkd_seg.converters.cls_image_folders`
(its docstring lists the official split files read).
"""
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SELFKD_SEG_REGISTRY = False  # writes files only: no models to register

from selfkd_seg.converters.cls_image_folders import (  # noqa: E402
    main)

if __name__ == '__main__':
    main()

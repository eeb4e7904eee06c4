"""Generate the toy shapes as COCO-format JSON (configs/*/*_toy-coco.py).

Usage::

    python tools/dataset_converters/make_toy_coco.py data/toy_coco
    python tools/dataset_converters/make_toy_coco.py OUT --num-train 96 \
        --num-val 32 --size 128 128 --seed 0

Writes ``OUT/images/*.jpg`` and ``OUT/annotations/{train,val}.json`` with
polygons, RLE masks, crowd regions, overlaps and non-contiguous category ids.
A thin wrapper over :func:`selfkd_research.synthetic_data.toy_coco.main`.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SELFKD_SEG_REGISTRY = False  # writes files only: no models to register

from selfkd_research.synthetic_data.toy_coco import main  # noqa: E402

if __name__ == '__main__':
    main()

"""Generate the toy VOC-layout dataset (configs/_base_/datasets/toy_voc.py).

Usage::

    python tools/dataset_converters/make_toy_voc.py data/toy_voc
    python tools/dataset_converters/make_toy_voc.py OUT --num-train 96 \
        --num-val 32 --size 128 128 --seed 0

Idempotent: if ``OUT/meta.json`` records the same arguments and all files are
present, nothing is written; otherwise the dataset is (re)generated.  A thin
wrapper over :func:`selfkd_research.synthetic_data.toy_voc.main`.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SELFKD_SEG_REGISTRY = False  # writes files only: no models to register

from selfkd_research.synthetic_data.toy_voc import main  # noqa: E402

if __name__ == '__main__':
    main()

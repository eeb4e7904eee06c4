"""Build a segmentation set and a classification set from real handwriting.

Usage::

    python tools/dataset_converters/make_digits.py data/digits
    python tools/dataset_converters/make_digits.py OUT --seed 0 \
        --seg-train 600 --seg-val 200 \
        --cls-train-per-digit 3 --cls-val-per-digit 1 [--only seg|cls] \
        [--max-sources-per-class N]

Renders VOC-layout scenes (``OUT/seg``) and 32x32 class folders
(``OUT/cls``) from scikit-learn's handwritten digits (``pip install -e
.[digits]``); deterministic and idempotent.  Exit code 1 on a missing
scikit-learn, a foreign non-empty OUT or bad counts.  A thin wrapper over
:mod:`selfkd_research.synthetic_data.digits` (layout, split rule: its
docstring and docs/digits_dataset.md).
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SELFKD_SEG_REGISTRY = False  # writes files only: no models to register

from selfkd_research.synthetic_data.digits import main  # noqa: E402

if __name__ == '__main__':
    main()

"""Short CPU training comparison: plain classifier vs FRSKD on toy data.

    python tools/analysis/compare_cls_toy.py [--work-dir DIR] [--seeds 0 1]
        [--epochs 15] [--num-classes 16] [--train-per-class 16]
        [--val-per-class 40] [--backbone wrn10_1] [--threads 1]
        [--methods baseline frskd]

See :mod:`selfkd_research.experiments.compare_toy` (``frskd``) for what it
runs.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.experiments.compare_toy import compare  # noqa: E402

if __name__ == '__main__':
    compare('frskd', __doc__.splitlines()[0])

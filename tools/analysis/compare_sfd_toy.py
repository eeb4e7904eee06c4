"""Short CPU comparison on toy data: plain student vs logit KD vs SFD.

    python tools/analysis/compare_sfd_toy.py [--work-dir DIR] [--seeds 0 1]
        [--teacher-epochs 40] [--epochs 30] [--num-classes 16]
        [--train-per-class 16] [--val-per-class 40] [--threads 2]

See :mod:`selfkd_research.experiments.compare_toy` (``sfd``) for what it runs.
"""
import os.path as osp
import sys

# the checkout (selfkd_research lives there); last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_research.experiments.compare_toy import compare  # noqa: E402

if __name__ == '__main__':
    compare('sfd', __doc__.splitlines()[0])

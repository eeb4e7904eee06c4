"""Params and FLOPs of the student and of its self-teacher, and their ratio.

    python tools/analysis/complexity.py CONFIG [--shape H W] [--cfg-options ...]

FLOPs count one multiply-add as one FLOP (fvcore / mmengine convention), at
batch size 1.  Works for segmentation (mmseg) and classification
(mmpretrain) configs; the ratios are those of FRSKD's Table 6. The logic is
``selfkd_seg.analysis.complexity.main``.
"""
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.analysis.complexity import main  # noqa: E402

if __name__ == '__main__':
    main()

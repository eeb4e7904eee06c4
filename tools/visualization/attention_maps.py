"""Draw per-level attention maps of the student and of the self-teacher.

    python tools/visualization/attention_maps.py CONFIG CKPT IMG [IMG ...] \
        --out attention.png

One row per image: the image, then for every BiFPN level (segmentation) or
backbone stage (classification) the student's and the self-teacher's
attention ``mean_c(f^2)`` (FRSKD Fig. 3).  The config is the FRSKD config
the checkpoint was trained with.  A thin wrapper over
:func:`selfkd_seg.analysis.attention.main`.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.analysis.attention import main  # noqa: E402

if __name__ == '__main__':
    main()

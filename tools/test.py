"""Test (evaluate) a trained segmentor or classifier.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR_OR_FILE]
        [--show] [--show-dir DIR] [--interval N] [--cfg-options k=v ...]
        [--launcher ...]

``--show``/``--show-dir``: paint every test image (every N-th with
``--interval N``); mmseg configs write
``DIR/vis_data/vis_image/test_<image>_0.png``, mmpretrain configs
``DIR/<class folder>_<image>_0.png``.

``--out``: for mmseg configs a folder receiving one prediction PNG per image;
for mmpretrain configs a pickle file of the predictions.
"""
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_seg.apis.test import main  # noqa: E402

if __name__ == '__main__':
    main()

"""Draw a few samples of a config's dataset with their masks into a PNG.

    python tools/visualization/browse_dataset.py CONFIG --out browse.png
    python tools/visualization/browse_dataset.py CONFIG --checkpoint CKPT \
        --split val --num 8 --cols 2 --out predictions.png

One tile per image: the image, the ground truth over it and, given a
checkpoint, the prediction over it; a legend of the class colours at the
bottom.  Images are shown as loaded (no augmentation).  A thin wrapper over
:func:`selfkd_seg.analysis.browse_dataset.main`.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.analysis.browse_dataset import main  # noqa: E402

if __name__ == '__main__':
    main()

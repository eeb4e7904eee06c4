"""Convert a RepDistiller CIFAR checkpoint to a selfkd_seg classifier one.

    python tools/model_converters/repdistiller_to_selfkd.py \
        SRC DST --arch resnet32x4

SRC is a RepDistiller checkpoint (a dict whose ``'model'`` entry holds the
weights, e.g. ``save/models/resnet32x4_vanilla/ckpt_epoch_240.pth``).  DST
(``{'state_dict': ..., 'meta': ...}``) loads strictly with mmengine's
``load_checkpoint`` into the mmpretrain ``ImageClassifier`` whose config is
printed (and stored in ``meta['model_cfg']``), e.g. as an SFD teacher.
A thin wrapper over :func:`selfkd_seg.converters.repdistiller_convert.main`.
"""
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.converters.repdistiller_convert import main  # noqa: E402

if __name__ == '__main__':
    main()

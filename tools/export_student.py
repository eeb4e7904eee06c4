"""Export the deployable student of a FRSKD/SFD checkpoint.

    python tools/export_student.py CKPT OUT [--force]

OUT loads into the plain student config (e.g. the baseline config) with no
missing or unexpected keys, through tools/test.py or mmseg.apis.init_model.
"""
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_seg.apis.export import main  # noqa: E402

if __name__ == '__main__':
    main()

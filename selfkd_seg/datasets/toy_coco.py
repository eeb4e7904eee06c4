"""Deprecated: moved to :mod:`selfkd_seg.testing.toy_coco`."""
import sys

from selfkd_seg.testing import toy_coco

sys.modules[__name__] = toy_coco

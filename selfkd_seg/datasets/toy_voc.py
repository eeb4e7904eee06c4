"""Deprecated: moved to :mod:`selfkd_seg.testing.toy_voc`."""
import sys

from selfkd_seg.testing import toy_voc

sys.modules[__name__] = toy_voc

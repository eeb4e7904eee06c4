"""Deprecated: moved to :mod:`selfkd_seg.testing.toy_voc`."""
import runpy
import sys

if __name__ == '__main__':  # python -m selfkd_seg.datasets.toy_voc ...
    runpy.run_module('selfkd_seg.testing.toy_voc', run_name='__main__')
else:
    from selfkd_seg.testing import toy_voc
    sys.modules[__name__] = toy_voc

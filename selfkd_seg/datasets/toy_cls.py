"""Deprecated: moved to :mod:`selfkd_seg.testing.toy_cls`."""
import runpy
import sys

if __name__ == '__main__':  # python -m selfkd_seg.datasets.toy_cls ...
    runpy.run_module('selfkd_seg.testing.toy_cls', run_name='__main__')
else:
    from selfkd_seg.testing import toy_cls
    sys.modules[__name__] = toy_cls

"""Deprecated: moved to :mod:`selfkd_seg.testing.toy_coco`."""
import runpy
import sys

if __name__ == '__main__':  # python -m selfkd_seg.datasets.toy_coco ...
    runpy.run_module('selfkd_seg.testing.toy_coco', run_name='__main__')
else:
    from selfkd_seg.testing import toy_coco
    sys.modules[__name__] = toy_coco

"""Generators of toy data sets for tests, demos and smoke runs (and of the
digits sets rendered from scikit-learn's handwritten digits).

Not imported by ``import selfkd_seg``: the runtime datasets live in
:mod:`selfkd_seg.datasets`.
"""
from .digits import make_digits
from .toy_cls import TOY_CLS_CLASSES, make_toy_cls
from .toy_coco import make_toy_coco
from .toy_voc import TOY_CLASSES, make_toy_voc

__all__ = [
    'TOY_CLASSES', 'TOY_CLS_CLASSES', 'make_digits', 'make_toy_cls',
    'make_toy_coco', 'make_toy_voc'
]

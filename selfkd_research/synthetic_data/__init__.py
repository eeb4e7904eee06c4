"""Generators of toy data sets for tests, demos and smoke runs (and of the
digits sets rendered from scikit-learn's handwritten digits).

Not installed and never imported by ``selfkd_seg`` (the runtime datasets
live in :mod:`selfkd_seg.datasets`); ``tools/dataset_converters/make_*.py``
run them.
"""
from .digits import make_digits
from .toy_cls import TOY_CLS_CLASSES, make_toy_cls
from .toy_coco import make_toy_coco
from .toy_voc import TOY_CLASSES, make_toy_voc

__all__ = [
    'TOY_CLASSES', 'TOY_CLS_CLASSES', 'make_digits', 'make_toy_cls',
    'make_toy_coco', 'make_toy_voc'
]

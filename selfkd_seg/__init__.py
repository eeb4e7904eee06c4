"""selfkd_seg: self-knowledge distillation (FRSKD, SFD) for OpenMMLab 2.x.

Importing the package first applies the compatibility work-arounds
(:mod:`selfkd_seg.compat`), then registers every model, hook and dataset.
Configs load it with ``custom_imports = dict(imports=['selfkd_seg'])``.
"""
from . import compat

compat.apply()

from . import apis, datasets, engine, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat']

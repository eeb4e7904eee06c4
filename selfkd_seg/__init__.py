"""selfkd_seg: self-knowledge distillation (FRSKD, SFD) for OpenMMLab 2.x.

``import selfkd_seg`` first applies the compatibility work-arounds
(:mod:`selfkd_seg.compat`), then registers every model, hook, optimizer
wrapper, dataset and transform (:func:`register_all_modules`); configs load it
with ``custom_imports = dict(imports=['selfkd_seg'])``.  Nothing above those
floors is imported here (docs/architecture.md): ``selfkd_seg.apis``,
``analysis``, ``deploy`` and ``converters`` are imported by the tools that
use them.  The experiment drivers, benchmarks and toy/digits data
generators are not part of the package: they live in the checkout's
``selfkd_research`` (docs/architecture.md, "The library boundary").

A script that only writes files (the dataset generators and converters in
``tools/dataset_converters/``) sets ``SELFKD_SEG_REGISTRY = False`` in its
own module before importing the package: it then starts without torch, mmseg
or mmpretrain (about a second).  Only the process's main script can do so;
it is never inherited by a subprocess.
"""
import sys

from .version import __version__


def register_all_modules() -> None:
    """Apply :mod:`selfkd_seg.compat` and register every part (idempotent)."""
    from . import compat
    compat.apply()
    from . import datasets, engine, models  # noqa: F401


if getattr(sys.modules.get('__main__'), 'SELFKD_SEG_REGISTRY', True):
    register_all_modules()

__all__ = ['__version__', 'register_all_modules']

from .palette import voc_palette
from .transforms import *  # noqa: F401,F403
from .voc_layout import VOCLayoutDataset

__all__ = ['VOCLayoutDataset', 'voc_palette']
from .coco_semantic import COCOSemanticDataset  # noqa: E402,F401

# the toy generators moved to selfkd_seg.testing
_MOVED = ('TOY_CLASSES', 'TOY_CLS_CLASSES', 'make_toy_cls', 'make_toy_coco',
          'make_toy_voc')


def __getattr__(name):
    if name not in _MOVED:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    import warnings

    import selfkd_seg.testing
    warnings.warn(f'selfkd_seg.datasets.{name} moved to selfkd_seg.testing',
                  DeprecationWarning, stacklevel=2)
    return getattr(selfkd_seg.testing, name)

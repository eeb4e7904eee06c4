from .toy_cls import TOY_CLS_CLASSES, make_toy_cls
from .toy_voc import TOY_CLASSES, make_toy_voc, voc_palette
from .transforms import *  # noqa: F401,F403
from .voc_layout import VOCLayoutDataset

__all__ = [
    'TOY_CLASSES', 'VOCLayoutDataset', 'make_toy_voc', 'voc_palette',
    'TOY_CLS_CLASSES', 'make_toy_cls'
]
from .coco_semantic import COCOSemanticDataset  # noqa: E402,F401
from .toy_coco import make_toy_coco  # noqa: E402,F401

from .coco_semantic import COCOSemanticDataset
from selfkd_seg.utils.palette import voc_palette
from .transforms import *  # noqa: F401,F403
from .voc_layout import VOCLayoutDataset

__all__ = ['COCOSemanticDataset', 'VOCLayoutDataset', 'voc_palette']

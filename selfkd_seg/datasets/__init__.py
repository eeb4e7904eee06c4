from selfkd_seg.utils.palette import voc_palette
from .coco_semantic import COCOSemanticDataset
from .hold_out import HoldOutSplit
from .transforms import *  # noqa: F401,F403
from .voc_layout import VOCLayoutDataset

__all__ = [
    'COCOSemanticDataset', 'HoldOutSplit', 'VOCLayoutDataset', 'voc_palette'
]

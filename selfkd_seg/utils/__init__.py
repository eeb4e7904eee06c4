"""Helpers with no registry: the VOC palette and COCO polygon/RLE
rasterization (numpy, PIL, pycocotools; used by the runtime datasets, the
toy data generators and the COCO->VOC converter), the package's configs
through ``.mim`` (:mod:`~selfkd_seg.utils.configs`) and the interleaved
timer (:mod:`~selfkd_seg.utils.timing`, torch)."""
from .configs import get_config, get_config_path

__all__ = ['get_config', 'get_config_path']

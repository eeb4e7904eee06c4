"""Label-map helpers with no registry and no torch (numpy, PIL, pycocotools):
the VOC palette and COCO polygon/RLE rasterization.  Used by the runtime
datasets, the toy data generators and the COCO->VOC converter."""

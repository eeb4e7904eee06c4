"""COCO-format JSON(s) -> Pascal VOC layout, with class statistics.

    python tools/dataset_converters/coco_to_voc.py OUT \
        --split train data/my/annotations/train.json data/my/images \
        --split val data/my/annotations/val.json data/my/images

Writes ``OUT/{JPEGImages,SegmentationClass,ImageSets/Segmentation}`` and
``OUT/meta.json`` (classes, palette, img_suffix, stats) with the masks
``COCOSemanticDataset`` serves, and prints per split the pixels and images
of every class.  A thin wrapper over
:mod:`selfkd_seg.converters.coco_to_voc` (its docstring has the
details).
"""
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SELFKD_SEG_REGISTRY = False  # writes files only: no models to register

from selfkd_seg.converters.coco_to_voc import main  # noqa: E402

if __name__ == '__main__':
    main()

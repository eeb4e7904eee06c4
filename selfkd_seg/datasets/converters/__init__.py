"""Converters from real datasets' published layouts to the layouts the
configs read (library code of ``tools/dataset_converters/``).

Not imported by ``import selfkd_seg`` or ``selfkd_seg.datasets``: import the
module you need, e.g. ``from selfkd_seg.datasets.converters import
coco_to_voc``.

- :mod:`.coco_to_voc`: COCO-format JSON(s) -> Pascal VOC layout, with class
  statistics.
- :mod:`.cls_image_folders`: the FRSKD classification datasets' official
  splits -> class folders.
"""

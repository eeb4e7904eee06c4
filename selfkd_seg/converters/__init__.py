"""Converters from published datasets and checkpoints to the layouts the
configs and models read (library code of ``tools/dataset_converters/``).

Not imported by ``import selfkd_seg``: import the module you need, e.g.
``from selfkd_seg.converters import coco_to_voc``.

- :mod:`.coco_to_voc`: COCO-format JSON(s) -> Pascal VOC layout, with class
  statistics.
- :mod:`.cls_image_folders`: the FRSKD classification datasets' official
  splits -> class folders.
- :mod:`.repdistiller_convert`: RepDistiller CIFAR checkpoints -> this
  package's classifier keys.
"""

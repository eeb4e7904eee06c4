import json
import os.path as osp
from typing import List, Optional

import numpy as np
from mmseg.datasets import BaseSegDataset
from PIL import Image

from selfkd_seg.registry import DATASETS
from .transforms.check_labels import check_label_range


@DATASETS.register_module()
class VOCLayoutDataset(BaseSegDataset):
    """Any dataset in Pascal VOC layout, with its own class names.

    mmseg's ``PascalVOCDataset`` only accepts VOC's 21 class names; this class
    reads the same folder layout (``JPEGImages/*.jpg``,
    ``SegmentationClass/*.png``, ``ImageSets/Segmentation/<split>.txt``) for
    any classes, e.g. the toy set of
    ``tools/dataset_converters/make_toy_voc.py``.

    Class names and palette come from ``metainfo`` or, if that has no
    ``classes``, from ``<data_root>/<meta_file>`` (written by the toy
    generator).  If both exist they must agree.  Loading checks that the
    folders, the split file and every listed image/mask exist and raises an
    error naming the missing path; ``check_labels=True`` also opens every
    mask and rejects labels outside ``[0, num_classes)`` other than
    ``ignore_index`` (a palette/label mismatch; the package's one check,
    :func:`~selfkd_seg.datasets.transforms.check_label_range`, raising
    ``LabelOutOfRangeError``) and masks whose size differs from their
    image.

    Args:
        ann_file (str): Split file relative to ``data_root``, e.g.
            ``'ImageSets/Segmentation/train.txt'``. ``''`` lists every image
            in ``img_path`` instead.
        data_prefix (dict): Image and mask folders relative to ``data_root``.
            Defaults to ``dict(img_path='JPEGImages',
            seg_map_path='SegmentationClass')``.
        check_labels (bool): Open every mask at start-up and validate its
            values and size. Defaults to False (it reads every mask).
        meta_file (str): File at ``data_root`` with ``classes``/``palette``
            used when ``metainfo`` has no classes. Defaults to 'meta.json'.
        **kwargs: Other arguments of :class:`mmseg.datasets.BaseSegDataset`
            (``img_suffix`` '.jpg', ``seg_map_suffix`` '.png',
            ``reduce_zero_label`` False by default, as in VOC).
    """

    def __init__(self,
                 ann_file: str = '',
                 data_prefix: dict = dict(
                     img_path='JPEGImages', seg_map_path='SegmentationClass'),
                 check_labels: bool = False,
                 meta_file: str = 'meta.json',
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 **kwargs) -> None:
        if data_root is not None and not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{self.__class__.__name__}: data_root {data_root!r} is not a '
                'directory (create the dataset there or fix `data_root`; the '
                'toy set is made by tools/dataset_converters/make_toy_voc.py)')
        self.check_labels = check_labels
        metainfo = self._merge_meta_file(metainfo, data_root, meta_file)
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=metainfo,
            data_root=data_root,
            **kwargs)

    def _merge_meta_file(self, metainfo: Optional[dict],
                         data_root: Optional[str], meta_file: str) -> dict:
        """Fill classes/palette from the meta file; reject disagreement."""
        metainfo = dict(metainfo or {})
        path = osp.join(data_root, meta_file) if data_root else None
        if path is None or not osp.isfile(path):
            if metainfo.get('classes') is None:
                raise ValueError(
                    f'{self.__class__.__name__}: no class names: pass '
                    'metainfo=dict(classes=..., palette=...) or put a '
                    f'{meta_file!r} with "classes" at data_root '
                    f'(data_root={data_root!r})')
            return metainfo
        with open(path) as f:
            file_meta = json.load(f)
        if 'classes' not in file_meta:
            raise ValueError(f'{path!r} has no "classes" key')
        file_classes = list(file_meta['classes'])
        if metainfo.get('classes') is None:
            metainfo['classes'] = tuple(file_classes)
            if 'palette' in file_meta and 'palette' not in metainfo:
                metainfo['palette'] = [list(c) for c in file_meta['palette']]
        elif list(metainfo['classes']) != file_classes:
            raise ValueError(
                f'{self.__class__.__name__}: metainfo classes '
                f"{list(metainfo['classes'])} differ from the classes "
                f'{file_classes} in {path!r}; the label ids would not match')
        return metainfo

    def load_data_list(self) -> List[dict]:
        """List samples, checking that every path they name exists."""
        name = self.__class__.__name__
        for key in ('img_path', 'seg_map_path'):
            folder = self.data_prefix.get(key)
            if folder and not osp.isdir(folder):
                raise FileNotFoundError(
                    f'{name}: data_prefix.{key} folder {folder!r} does not '
                    'exist')
        if self.ann_file and not osp.isdir(self.ann_file) \
                and not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{name}: split file (ann_file) {self.ann_file!r} does not '
                'exist')
        data_list = super().load_data_list()
        for info in data_list:
            for key in ('img_path', 'seg_map_path'):
                path = info.get(key)
                if path is not None and not osp.isfile(path):
                    entry = osp.splitext(osp.basename(info['img_path']))[0]
                    raise FileNotFoundError(
                        f'{name}: entry {entry!r} of {self.ann_file!r}: '
                        f'{key} file {path!r} does not exist')
        if self.check_labels:
            self._check_masks(data_list)
        return data_list

    def _check_masks(self, data_list: List[dict]) -> None:
        """Reject masks with out-of-range labels or a different size."""
        num_classes = len(self._metainfo['classes'])
        for info in data_list:
            path = info['seg_map_path']
            with Image.open(path) as mask:
                if mask.mode not in ('P', 'L', 'I', 'I;16'):
                    raise ValueError(
                        f'mask {path!r} has PIL mode {mask.mode!r}; expected '
                        "a single-channel label map ('P' or 'L')")
                labels = np.asarray(mask)
                mask_size = mask.size
            # the file's labels: with reduce_zero_label 1..K (0 ignored)
            check_label_range(labels, num_classes, self.ignore_index, path,
                              self.reduce_zero_label)
            with Image.open(info['img_path']) as img:
                img_size = img.size
            if img_size != mask_size:
                raise ValueError(
                    f'mask {path!r} is {mask_size[1]}x{mask_size[0]} (HxW) '
                    f"but image {info['img_path']!r} is "
                    f'{img_size[1]}x{img_size[0]}')

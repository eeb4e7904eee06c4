"""Reject label maps with values outside ``[0, num_classes)`` and ignore.

A mask value ``>= num_classes`` (other than the ignore index) otherwise fails
deep inside the loss with ``IndexError: Target 7 is out of bounds`` (on a GPU a
device-side assert that kills the run) and names no file, or, when the region
is small and the crop misses it, trains silently on a wrong label.
"""
from typing import Iterator, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import LoadAnnotations as MMCVLoadAnnotations

from selfkd_seg.registry import TRANSFORMS


class LabelOutOfRangeError(ValueError):
    """A label map holds values that are neither a class nor ignored."""


def check_label_range(seg: np.ndarray,
                      num_classes: int,
                      ignore_index: Optional[int] = 255,
                      source: Optional[str] = None,
                      reduce_zero_label: bool = False) -> None:
    """Raise if ``seg`` holds a label that is neither a class nor ignored.

    The package's one label-range check (:class:`CheckSegLabels` in the
    pipelines, ``VOCLayoutDataset(check_labels=True)`` at start-up).

    Args:
        seg (np.ndarray): A label map (any shape), or its distinct values.
        num_classes (int): Number of classes: labels ``0..num_classes-1``.
        ignore_index (int, optional): The label that is ignored.
        source (str, optional): The file, for the message.
        reduce_zero_label (bool): ``seg`` is as stored in a file that mmseg
            reads with ``reduce_zero_label`` (0 ignored, ``1..num_classes``
            the classes).

    Raises:
        LabelOutOfRangeError: naming ``source``, each bad value with its
            pixel count, the number of classes and the ignore index.
    """
    end = num_classes + 1 if reduce_zero_label else num_classes
    bad = (seg >= end) | (seg < 0)
    if ignore_index is not None:
        bad &= seg != ignore_index
    if not bad.any():
        return
    values, counts = np.unique(seg[bad], return_counts=True)
    found = ', '.join(f'{v} ({c} px)' for v, c in zip(values.tolist()[:10],
                                                      counts.tolist()[:10]))
    valid = (f'1..{num_classes} with reduce_zero_label'
             if reduce_zero_label else f'0..{num_classes - 1}')
    raise LabelOutOfRangeError(
        f'label map {source!r} has label values {found}, but the dataset '
        f'has {num_classes} classes (valid labels {valid}, ignore '
        f'{ignore_index}). Check that the masks hold class indices (not '
        'palette colours), that metainfo classes match the masks, and '
        'reduce_zero_label.')


@TRANSFORMS.register_module()
class CheckSegLabels(BaseTransform):
    """Check ``gt_seg_map`` right after loading, once per file.

    Put it after ``LoadAnnotations`` (the labels are then in training space:
    ``reduce_zero_label`` and ``label_map`` applied).  With
    ``num_classes=None``
    it does nothing until :func:`enable_label_checks` (called by
    ``DatasetModelCheckHook`` before training/validation/testing) sets it from
    the dataset's classes; that hook also inserts this transform into every
    segmentation pipeline that lacks it, so every dataset config is checked.

    The check is one vectorised pass over the full mask (before any crop), and
    a file that passed is not checked again by the same process.

    Args:
        num_classes (int, optional): Number of classes. Defaults to None.
        ignore_index (int): The label that is ignored. Defaults to 255.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self._verified = set()

    def transform(self, results: dict) -> dict:
        seg = results.get('gt_seg_map')
        if self.num_classes is None or seg is None:
            return results
        path = results.get('seg_map_path')
        if path is not None and path in self._verified:
            return results
        check_label_range(seg, self.num_classes, self.ignore_index, path)
        if path is not None:
            self._verified.add(path)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')


def _leaf_datasets(dataset) -> Iterator:
    """The datasets inside mmengine's Concat/Repeat/ClassBalanced wrappers."""
    inner = getattr(dataset, 'datasets', None)
    if inner is not None:
        for child in inner:
            yield from _leaf_datasets(child)
    elif getattr(dataset, 'dataset', None) is not None:
        yield from _leaf_datasets(dataset.dataset)
    else:
        yield dataset


def enable_label_checks(dataset) -> int:
    """Check the labels of every segmentation pipeline inside ``dataset``.

    For each dataset with ``metainfo['classes']`` whose pipeline loads
    annotations, sets ``num_classes``/``ignore_index`` of its
    :class:`CheckSegLabels` or inserts one right after the loading transform.
    Returns the number of pipelines now checked.
    """
    checked = 0
    for leaf in _leaf_datasets(dataset):
        classes = getattr(leaf, 'metainfo', {}).get('classes')
        transforms = getattr(
            getattr(leaf, 'pipeline', None), 'transforms', None)
        if not classes or transforms is None:
            continue
        ignore_index = getattr(leaf, 'ignore_index', 255)
        checks = [t for t in transforms if isinstance(t, CheckSegLabels)]
        if not checks:
            loads = [
                i for i, t in enumerate(transforms)
                if isinstance(t, MMCVLoadAnnotations)
                and getattr(t, 'with_seg', False)
            ]
            if not loads:
                continue
            check = CheckSegLabels(ignore_index=ignore_index)
            transforms.insert(loads[0] + 1, check)
            checks = [check]
        for check in checks:
            if check.num_classes is None:
                check.num_classes = len(classes)
                check.ignore_index = ignore_index
        checked += 1
    return checked

"""Image and mask loaders whose failures name the file and the cause.

mmcv's ``LoadImageFromFile`` reports an undecodable image with a bare
``assert`` (skipped under ``python -O``), and mmseg's ``LoadAnnotations`` lets
PIL's ``cannot identify image file <_io.BytesIO ...>`` escape, which names no
file at all.  These wrappers keep the parents' behaviour and re-raise such
failures as :class:`CorruptDataError` with the path.
"""
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations

from selfkd_seg.registry import TRANSFORMS


class CorruptDataError(OSError):
    """An image or mask file exists but cannot be decoded."""


def _raise_unreadable(kind: str, path: str, err: Exception) -> None:
    if isinstance(err, FileNotFoundError):
        raise FileNotFoundError(f'{kind} file not found: {path!r}') from err
    raise CorruptDataError(
        f'cannot decode {kind} file {path!r} (corrupt, truncated or not an '
        f'image): {type(err).__name__}: {err}') from err


@TRANSFORMS.register_module()
class LoadImageFromFileChecked(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` with errors that name the file.

    Args:
        **kwargs: Arguments of :class:`mmcv.transforms.LoadImageFromFile`.
            With ``ignore_empty=True`` a missing *or undecodable* file gives
            None (the dataset then samples another image); the parent only
            covers missing files and asserts on undecodable ones.
    """

    def transform(self, results: dict):
        try:
            return super().transform(results)
        except Exception as err:  # AssertionError on a failed decode, too
            if self.ignore_empty:
                return None
            _raise_unreadable('image', results['img_path'], err)


@TRANSFORMS.register_module()
class LoadAnnotationsChecked(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` with errors that name the mask file.

    Besides decode failures it rejects colour (RGB) masks: a label map must
    have one channel (palette 'P' or grey 'L'); an RGB rendering of the
    palette would otherwise be read as 3-channel labels and fail much later.

    A sample without ``seg_map_path`` passes through unchanged: that is an
    image served by ``mmseg.apis.inference_model``, which only strips the
    plain ``LoadAnnotations`` from the test pipeline.

    Args:
        **kwargs: Arguments of :class:`mmseg.datasets.transforms.
            LoadAnnotations`.
    """

    def transform(self, results: dict) -> dict:
        if 'seg_map_path' not in results:
            return results
        return super().transform(results)

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        try:
            super()._load_seg_map(results)
        except Exception as err:
            _raise_unreadable('segmentation mask', path, err)
        seg = results['gt_seg_map']
        if seg.ndim != 2:
            raise CorruptDataError(
                f'segmentation mask {path!r} has shape {tuple(seg.shape)}; '
                'expected a single-channel label map (H, W) such as a '
                "palette ('P') PNG, not a colour image")
        results['gt_seg_map'] = np.ascontiguousarray(seg)

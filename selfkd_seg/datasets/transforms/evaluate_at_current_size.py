from mmcv.transforms import BaseTransform

from selfkd_seg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class EvaluateAtCurrentSize(BaseTransform):
    """Make the current (resized) size the size predictions are scored at.

    mmseg resizes every prediction back to ``ori_shape`` (the size of the file
    on disk) before ``IoUMetric`` compares it with the mask.  The FRSKD code
    instead resizes image *and* mask to 512x512 and scores there.  Put this
    after a ``Resize`` that also resized ``gt_seg_map`` (loaded before it;
    mmcv resizes masks with nearest interpolation) to reproduce that protocol:
    it sets ``ori_shape`` to the current ``img_shape``.

    Required Keys: ``img_shape``, ``gt_seg_map``.  Modified Keys:
    ``ori_shape``.
    """

    def transform(self, results: dict) -> dict:
        img_shape = tuple(results['img_shape'][:2])
        seg = results.get('gt_seg_map')
        if seg is not None and tuple(seg.shape[:2]) != img_shape:
            raise ValueError(
                f'EvaluateAtCurrentSize: mask shape {tuple(seg.shape[:2])} '
                f'differs from image shape {img_shape} for '
                f"{results.get('img_path')!r}; load the annotation before "
                'the Resize so that both are resized')
        results['ori_shape'] = img_shape
        return results

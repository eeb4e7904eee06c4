import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from selfkd_seg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Blur the image (not the mask) with a random Gaussian radius.

    The FRSKD segmentation code augments with a PIL Gaussian blur of radius
    ``U(0, 1)`` applied with probability 0.5 (the pytorch-deeplab-xception
    recipe); PIL's radius is the standard deviation, used here as cv2's
    sigma, which works for uint8 and float images alike.  mmseg's only blur,
    ``BioMedicalGaussianBlur``, expects (N, Z, Y, X) float volumes, and
    mmpretrain's ``GaussianBlur`` lives in a registry segmentation configs
    do not need (mmpretrain is optional); hence this small transform.

    Required Keys: ``img``.  Modified Keys: ``img``.

    Args:
        prob (float): Probability to blur. Defaults to 0.5.
        radius_range (tuple[float, float]): Range of the uniformly sampled
            blur standard deviation in pixels (radii below 0.05 px leave
            the image unchanged).
            Defaults to (0., 1.).
    """

    def __init__(self, prob: float = 0.5, radius_range=(0., 1.)) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomGaussianBlur: prob must be in [0, 1], '
                             f'got {prob}')
        if len(radius_range) != 2 or not 0 <= radius_range[0] <= \
                radius_range[1]:
            raise ValueError('RandomGaussianBlur: radius_range must be (lo, '
                             f'hi) with 0 <= lo <= hi, got {radius_range}')
        self.prob = prob
        self.radius_range = tuple(radius_range)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        radius = np.random.uniform(*self.radius_range)
        if radius >= 0.05:  # cv2 derives the kernel size from sigma
            results['img'] = cv2.GaussianBlur(
                results['img'], (0, 0), sigmaX=radius, sigmaY=radius)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'radius_range={self.radius_range})')

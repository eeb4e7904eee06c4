from .evaluate_at_current_size import EvaluateAtCurrentSize
from .gaussian_blur import RandomGaussianBlur
from .loading import (CorruptDataError, LoadAnnotationsChecked,
                      LoadImageFromFileChecked)

__all__ = [
    'CorruptDataError', 'EvaluateAtCurrentSize', 'LoadAnnotationsChecked',
    'LoadImageFromFileChecked', 'RandomGaussianBlur'
]

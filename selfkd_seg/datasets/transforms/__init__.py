from .check_labels import (CheckSegLabels, LabelOutOfRangeError,
                           check_label_range, enable_label_checks)
from .evaluate_at_current_size import EvaluateAtCurrentSize
from .gaussian_blur import RandomGaussianBlur
from .loading import (CorruptDataError, LoadAnnotationsChecked,
                      LoadImageFromFileChecked)

__all__ = [
    'CheckSegLabels', 'LabelOutOfRangeError', 'check_label_range',
    'enable_label_checks', 'CorruptDataError', 'EvaluateAtCurrentSize',
    'LoadAnnotationsChecked', 'LoadImageFromFileChecked', 'RandomGaussianBlur'
]

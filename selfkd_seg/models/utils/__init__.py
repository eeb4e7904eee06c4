from .bifpn_blocks import (FastNormalizedFusion, MaxPool2dSame, resize_to,
                           same_pads)
from .distill import (DISTILL_ONLY_PREFIXES, check_config_keys,
                      split_student_state_dict, strip_distill_only)

__all__ = [
    'FastNormalizedFusion', 'MaxPool2dSame', 'resize_to', 'same_pads',
    'DISTILL_ONLY_PREFIXES', 'check_config_keys', 'strip_distill_only',
    'split_student_state_dict'
]

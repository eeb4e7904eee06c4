from .efficientdet_seg_head import EfficientDetSegHead  # noqa: F401
from .frskd_seg_head import FRSKDSegHead  # noqa: F401

from .efficientdet_seg_head import EfficientDetSegHead  # noqa: F401

# mmseg's runtime plus selfkd_seg's registrations. Every selfkd_seg
# segmentation config inherits this, so plain mmseg tools can run them too.
_base_ = ['mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
default_scope = 'mmseg'
# EfficientDet's segmentation head reads P2 only, so the last BiFPN layer's
# bottom-up nodes (P3..P7) get no gradient (the same holds for the
# self-teacher's last layer: its outputs are detached in the AT term).
# DDP must be told, or it waits forever for their gradients.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

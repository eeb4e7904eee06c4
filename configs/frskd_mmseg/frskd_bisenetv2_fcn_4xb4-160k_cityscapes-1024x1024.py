# FRSKD on mmseg's BiSeNetV2 (docs/frskd_any_mmseg_model.md): the
# self-teacher takes the aggregated 1/8 feature (level 0) and the semantic
# branch at 1/8, 1/16, 1/32 (levels 2, 3, 4; the 16-channel 1/4 stem is
# left out so that the head copy reads the finest level), projects them to
# 64 channels, refines them with 2 BiFPN layers (last one top-down) and
# predicts with a copy of the student's FCN head.
_base_ = [
    './bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py',
    '../_base_/models/frskd_mmseg.py'
]
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(in_index=(0, 2, 3, 4), channels=64))
custom_hooks = _base_.pop('frskd_mmseg_hooks')
log_processor = _base_.pop('frskd_mmseg_log_processor')

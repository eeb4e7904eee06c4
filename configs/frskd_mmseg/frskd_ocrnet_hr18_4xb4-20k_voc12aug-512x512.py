# FRSKD on mmseg's OCRNet HRNetV2-W18 (docs/frskd_any_mmseg_model.md): the
# student is the unchanged cascade; the self-teacher (training only) projects
# the 4 HRNet levels to 64 channels, refines them with 2 BiFPN layers and
# predicts with a copy of the first stage's FCN head. Pixel KD against the
# OCR head's output (the model's), AT on the 4 levels, the distillation
# weights 0 for 2/3 of training, then ramped.
_base_ = [
    './ocrnet_hr18_4xb4-20k_voc12aug-512x512.py',
    '../_base_/models/frskd_mmseg.py'
]
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='FRSKDCascadeEncoderDecoder',
    self_teacher=dict(in_index=(0, 1, 2, 3), channels=64))
custom_hooks = _base_.pop('frskd_mmseg_hooks')
log_processor = _base_.pop('frskd_mmseg_log_processor')

# FRSKD on ocrnet_r18-tiny_360it_digits.py (the student, an unchanged cascade):
# the self-teacher reads C2..C4 (levels 0, 1, 2), projected to 32 channels,
# 2 BiFPN layers and a copy of the first stage's FCN head (it reads C4, the
# coarsest chosen level); pixel KD against the OCR head's output + AT on the
# 3 levels, weights 0 for the first 2/3 of the iterations, then ramped.
_base_ = [
    './ocrnet_r18-tiny_360it_digits.py', '../_base_/models/frskd_mmseg.py'
]
model = dict(
    type='FRSKDCascadeEncoderDecoder',
    self_teacher=dict(in_index=(0, 1, 2), channels=32))
custom_hooks = _base_.pop('frskd_mmseg_hooks')
_base_.pop('frskd_mmseg_log_processor')  # seg_runtime.py has the pattern

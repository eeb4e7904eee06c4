# FRSKD on deeplabv3plus_r18-tiny_360it_digits.py (the student, unchanged): the
# self-teacher reads levels (0, 1, 2, 3), projected to 32 channels, 2 BiFPN
# layers and a copy of the student's head; pixel KD (alpha 1, T 1) + AT
# (beta 50), weights 0 for the first 2/3 of the iterations, then ramped.
_base_ = [
    './deeplabv3plus_r18-tiny_360it_digits.py',
    '../_base_/models/frskd_mmseg.py'
]
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(in_index=(0, 1, 2, 3), channels=32))
custom_hooks = _base_.pop('frskd_mmseg_hooks')
_base_.pop('frskd_mmseg_log_processor')  # seg_runtime.py has the pattern

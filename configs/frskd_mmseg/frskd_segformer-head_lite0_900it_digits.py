# FRSKD on segformer-head_lite0_900it_digits.py through FRSKDEncoderDecoder: the
# self-teacher reads the 4 backbone levels, projected to 64 channels, 2 BiFPN
# layers and a copy of the student's head; pixel KD (alpha 1, T 1) + AT
# (beta 50), weights 0 for the first 2/3 of training, then ramped.
_base_ = [
    './segformer-head_lite0_900it_digits.py', '../_base_/models/frskd_mmseg.py'
]
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(in_index=(0, 1, 2, 3), channels=64))
custom_hooks = _base_.pop('frskd_mmseg_hooks')
log_processor = _base_.pop('frskd_mmseg_log_processor')

# FRSKD on segformer_mit-tiny_digits.py (the student, unchanged): self-teacher on levels
# (0, 1, 2, 3) projected to 32 channels, 2 BiFPN layers, a copy of the student's
# head; pixel KD (alpha 1, T 1) + AT (beta 50), weights 0 for the first 2/3
# of the iterations, then ramped (FRSKD seg).
_base_ = ['./segformer_mit-tiny_digits.py']
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(in_index=(0, 1, 2, 3), channels=32))
custom_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook')
]

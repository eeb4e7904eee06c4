# FRSKD + the held-out lead gate (beyond the paper) on efficientdet-d0-lite0_900it_digits.py:
# KD only where the self-teacher is right; alpha, beta and the
# self-teacher's gradient into the student scaled by clamp(lead / 1 mIoU,
# 0, 1), the lead = self-teacher mIoU - student mIoU on the 60 held-out
# training scenes (the baseline's HoldOutSplit), measured every 1/6 of
# training. Closed (factor 0): the student trains exactly as the baseline.
_base_ = './frskd_efficientdet-d0-lite0_900it_digits.py'
model = dict(
    gate=dict(
        pixel='teacher_correct',
        lead=True,
        lead_source='held_out',
        lead_margin=1.0,
        trunk_grad=True))
custom_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook', held_out=True, interval=150)
]

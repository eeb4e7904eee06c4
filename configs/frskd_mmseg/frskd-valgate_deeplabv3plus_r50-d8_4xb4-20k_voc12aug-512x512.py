# FRSKD with the val-lead gate (beyond the paper, docs/frskd_regimes.md):
# KD only where the self-teacher is right, and the distillation weights (and
# the self-teacher's gradient into the student) scaled by
# clamp(val lead / 1 mIoU, 0, 1): no distillation while it does not lead.
_base_ = ['./frskd_deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py']
model = dict(
    gate=dict(pixel='teacher_correct', lead_source='val', lead_margin=1.0))

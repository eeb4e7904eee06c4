# FRSKD + the held-out lead gate (beyond the paper, docs/frskd_regimes.md):
# KD only where the self-teacher is right, and the distillation weights (and
# the self-teacher's gradient into the student) scaled by
# clamp(lead / 1 mIoU, 0, 1), the lead measured by SelfTeacherLeadHook on
# 60 training images held out of training (HoldOutSplit), never on val.
# Measured every 1/3 of the 360 iterations, before the ramp starts.
# The baseline trains on the same 'train' part (_base_/digits_seg_cpu.py).
_base_ = ['./frskd_segformer_mit-tiny_digits.py']
model = dict(
    gate=dict(
        pixel='teacher_correct', lead_source='held_out', lead_margin=1.0))
custom_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook', held_out=True, interval=120)
]
# a closed gate detaches the self-teacher's input: the student parameters
# only the self-teacher reaches then get no gradient (as in the baseline)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# FRSKD with the held-out lead gate (beyond the paper, docs/frskd_regimes.md):
# as frskd-gate_efficientdet-d0_360it_digits.py, but the weights (and the self-teacher's
# gradient into the student) are scaled by clamp(lead / 1.0, 0, 1), lead =
# the self-teacher's mIoU minus the student's on 60 training scenes held out
# of training (the HoldOutSplit of _base_/digits_seg_cpu.py, which every
# digits method trains on; SelfTeacherLeadHook measures it every 1/3 of
# training): full weight once the self-teacher is 1 mIoU point ahead, 0
# before the first measurement and while it is behind. Never the val split.
# The baseline trains on the same 'train' part (_base_/digits_seg_cpu.py).
_base_ = './frskd-gate_efficientdet-d0_360it_digits.py'
model = dict(gate=dict(lead_source='held_out', lead_margin=1.0))
custom_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook', held_out=True, interval=120)
]
# a closed gate detaches the self-teacher's input: the student parameters
# only the self-teacher reaches then get no gradient (as in the baseline)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

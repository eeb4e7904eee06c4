# The held-out lead gate for FRSKD configs (beyond the paper,
# docs/frskd_regimes.md), as variables that a config pops:
#   model = dict(gate=_base_.pop('held_out_gate'))
#   custom_hooks = _base_.pop('held_out_gate_hooks')
#   model_wrapper_cfg = _base_.pop('held_out_gate_wrapper')
# KD only where the self-teacher is right; alpha, beta and the
# self-teacher's gradient into the student scaled by clamp(lead / 1 mIoU,
# 0, 1), the lead = self-teacher mIoU - student mIoU on the held-out part of
# the training set (HoldOutSplit), measured by SelfTeacherLeadHook every
# validation interval (or `interval`), never on val. The training set must
# be wrapped in HoldOutSplit, by the config or its base.
held_out_gate = dict(
    pixel='teacher_correct', lead_source='held_out', lead_margin=1.0)
held_out_gate_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook', held_out=True)
]
# a closed gate detaches the self-teacher's input: the student parameters
# only the self-teacher reaches then get no gradient (as in the baseline)
held_out_gate_wrapper = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# FRSKD with the lead gate opened by the VAL lead (beyond the paper,
# docs/frskd_regimes.md): as frskd-gate_d0_digits.py, but the weights (and
# the self-teacher's gradient into the student) are scaled by
# clamp(val_lead / 1.0, 0, 1), val_lead = self_teacher/mIoU - mIoU at the
# last validation (SelfTeacherLeadHook writes it into the gate): full weight
# once the self-teacher is 1 mIoU point ahead, 0 before the first
# validation and while it is behind. The digits runs showed a positive val
# lead while the train CE lead stayed about 0 (so the train_ce gate never
# opened).
_base_ = './frskd-gate_d0_digits.py'
model = dict(gate=dict(lead_source='val', lead_margin=1.0))
# a validation before distillation starts (at 2/3): every 1/3 of training
train_cfg = dict(val_interval=120)

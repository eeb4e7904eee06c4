# FRSKD with the lead gate (beyond the paper, docs/frskd_regimes.md) on the
# digits scenes: frskd_efficientdet-d0_360it_digits.py, but the self-teacher acts on the student
# only where and when it leads:
# - KD only on the pixels where the self-teacher's arg-max is the label;
# - alpha, beta and the self-teacher's gradient into the student's features
#   scaled by clamp(lead / 0.1, 0, 1), lead = running mean of the relative
#   train CE lead (CE_student - CE_self_teacher) / CE_student.
# While the self-teacher does not lead, the student trains as the baseline.
_base_ = './frskd_efficientdet-d0_360it_digits.py'
model = dict(
    gate=dict(
        pixel='teacher_correct',
        lead=True,
        lead_margin=0.1,
        momentum=0.1,
        trunk_grad=True))
# a closed gate detaches the self-teacher's input: the student parameters
# only the self-teacher reaches then get no gradient (as in the baseline)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

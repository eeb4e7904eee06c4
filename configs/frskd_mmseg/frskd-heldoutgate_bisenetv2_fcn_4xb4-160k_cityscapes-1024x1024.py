# FRSKD + the held-out lead gate (beyond the paper, docs/frskd_regimes.md):
# KD only where the self-teacher is right, and the distillation weights (and
# the self-teacher's gradient into the student) scaled by
# clamp(lead / 1 mIoU, 0, 1), the lead measured by SelfTeacherLeadHook on
# 200 training images held out of training (HoldOutSplit), never on val.
# The lead is measured at every validation interval.
# For an exact comparison, train the baseline on the same 'train' part.
_base_ = ['./frskd_bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py']
model = dict(
    gate=dict(
        pixel='teacher_correct', lead_source='held_out', lead_margin=1.0))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='HoldOutSplit',
        hold_out=200,
        part='train',
        dataset={{_base_.train_dataloader.dataset}}))
custom_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook', held_out=True)
]
# a closed gate detaches the self-teacher's input: the student parameters
# only the self-teacher reaches then get no gradient (as in the baseline)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

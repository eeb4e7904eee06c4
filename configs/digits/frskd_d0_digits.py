# FRSKD on the digits scenes: the baseline of efficientdet_d0_digits.py plus
# 2 more BiFPN layers as the self-teacher (last layer top-down, own head),
# alpha 1 (pixel KD, T 1), beta 50 (AT on post-ReLU maps of all 6 levels).
# FRSKD's schedule as fractions of training: distillation weights 0 for the
# first 2/3 (40 of 60 epochs), then exp(-5(1-t)^2) to full weight over the
# last 1/3. tools/digits_experiment.py rescales warmup/ramp with max_iters.
_base_ = './efficientdet_d0_digits.py'
model = dict(
    type='FRSKDSegmentor',
    self_teacher=dict(neck=dict(num_layers=2)),
    distill=dict(
        alpha=1.0,
        beta=50.0,
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_loss=dict(type='ATLoss'),
        feature_act=dict(type='ReLU')))
custom_hooks = [
    # 2/3 warm-up, 1/3 ramp of max_iters (240 + 120 of 360)
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    # the self-teacher's own val mIoU and its lead over the student
    # (self_teacher/mIoU, self_teacher/lead; docs/frskd_regimes.md)
    dict(type='SelfTeacherLeadHook')
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=False)

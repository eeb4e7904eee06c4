# FRSKD (the paper's method and weights) on lite0_d0_digits.py: 2 more BiFPN
# layers as the self-teacher (last layer top-down, own head), alpha 1 (pixel
# KD, T 1), beta 50 (AT on post-ReLU maps of all 6 levels); weights 0 for
# the first 2/3 of training (the high-lr phase), then exp(-5(1-t)^2) up to
# full weight in the last iteration. KD only: --cfg-options
# model.distill.beta=0.0.
_base_ = './lite0_d0_digits.py'
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
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook')
]

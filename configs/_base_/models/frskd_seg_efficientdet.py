# FRSKD's segmentation terms for an EfficientDet-style student (a weighted
# BiFPN neck), as variables that a config pops:
#   model = _base_.pop('frskd_seg_model')
#   custom_hooks = _base_.pop('frskd_seg_hooks')
# 2 more layers of the student's BiFPN as the self-teacher (last layer
# top-down, own head), alpha 1 (pixel KD, T 1), beta 50 (AT on post-ReLU
# maps of every level); weights 0 for the first 2/3 of the iterations, then
# exp(-5(1-t)^2) to full weight in the last one; the self-teacher's own val
# mIoU and lead logged (docs/frskd_regimes.md).
frskd_seg_model = dict(
    type='FRSKDSegmentor',
    self_teacher=dict(neck=dict(num_layers=2)),
    distill=dict(
        alpha=1.0,
        beta=50.0,
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_loss=dict(type='ATLoss'),
        feature_act=dict(type='ReLU')))
frskd_seg_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook')
]

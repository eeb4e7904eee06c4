# FRSKD on your own COCO-format data: the d0 baseline of
# configs/efficientdet_seg/efficientdet-d0_60e_coco-custom.py plus the 2-layer
# BiFPN self-teacher, alpha 1 (pixel KD), beta 50 (AT), distillation weights
# 0 for the first 2/3 of training and then ramped in (as the VOC recipe).
# Set num_classes there (or here) to 1 + your number of categories.
_base_ = '../efficientdet_seg/efficientdet-d0_60e_coco-custom.py'
model = dict(
    type='FRSKDSegmentor',
    # 2 more layers of the student's BiFPN (its width, levels and norm),
    # fed with the student's P2..P7
    self_teacher=dict(neck=dict(num_layers=2)),
    distill=dict(
        alpha=1.0,
        beta=50.0,
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_loss=dict(type='ATLoss'),
        # AT on post-ReLU maps, as the authors' BiFPN outputs (ours end in BN)
        feature_act=dict(type='ReLU')))
custom_hooks = [
    dict(type='DatasetModelCheckHook'),
    # weights 0 for 2/3 of the epochs, ramp over the last 1/3: 40 + 20 of 60
    dict(type='DistillWeightScheduleHook', by_epoch=True),
    # the self-teacher's own val mIoU and its lead over the student
    # (self_teacher/mIoU, self_teacher/lead; docs/frskd_regimes.md)
    dict(type='SelfTeacherLeadHook')
]
# Every parameter trains (the student's P3..P7 feed the self-teacher and the
# AT loss; the self-teacher's last layer outputs its top-down pass), so DDP
# need not search for unused ones (the baseline model sets the search on).
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=False)

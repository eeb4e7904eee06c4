# FRSKD (Table 4) on the authors' own network: the official d0 baseline plus
# their self-teacher, 2 more BiFPN layers (no FPN: fed with the student's
# P2..P7; the last layer is top-down only, their is_last) with its own head
# (a copy of the student's); alpha 1 (pixel KD, T 1, its sum over the
# labelled pixels divided by all B*H*W pixels as their code), beta 50 (AT
# over all six levels); distillation weights 0 for 40 epochs, then the
# sigmoid ramp to full weight over the last 20 (the authors' code).
# Paper: 80.55 mIoU.
# The features are already post-ReLU: distill.feature_act stays unset.
_base_ = './efficientdet-official-d0_60e_voc0712.py'
model = dict(
    type='FRSKDSegmentor',
    self_teacher=dict(
        neck=dict(
            type='FRSKDSegBiFPN',
            in_channels=[{{_base_.bifpn_channels}}] * 6,
            out_channels={{_base_.bifpn_channels}},
            num_layers=2,
            with_fpn=False,
            last_layer_top_down=True,
            norm_cfg={{_base_.node_norm_cfg}},
            act_cfg=dict(type='ReLU', inplace=True))),
    distill=dict(
        alpha=1.0,
        beta=50.0,
        # the authors' DistillKL divides the pixel KL sum by B*H*W
        kd_loss=dict(type='KDLoss', temperature=1.0, normalizer='all'),
        feature_loss=dict(type='ATLoss')))
custom_hooks = [
    # weights 0 for 2/3 of the epochs, ramp over the last 1/3: 40 + 20 of 60
    dict(type='DistillWeightScheduleHook', by_epoch=True),
    # the self-teacher's own val mIoU and its lead over the student
    # (self_teacher/mIoU, self_teacher/lead; docs/frskd_regimes.md)
    dict(type='SelfTeacherLeadHook')
]
# Every parameter is on a loss path: the student's P3..P7 feed the
# self-teacher and the AT loss, the self-teacher's last layer is top-down only.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=False)

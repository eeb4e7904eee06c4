# FRSKD with the authors' network (efficientdet-official-d0-lite0_900it_digits.py):
# 2 more FRSKDSegBiFPN layers (no FPN, last layer top-down) as the
# self-teacher, alpha 1 (pixel KD, T 1), beta 50 (AT); weights 0 for 2/3 of
# training, then the paper's ramp.
_base_ = './efficientdet-official-d0-lite0_900it_digits.py'
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
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_loss=dict(type='ATLoss')))
custom_hooks = [
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    dict(type='SelfTeacherLeadHook')
]

# Toy FRSKD on the FRSKD authors' segmentation network: the official toy
# baseline plus their 2-layer self-teacher (no FPN, last layer top-down only)
# with its own head, trained with the same budget and seed. FRSKD's schedule
# of the distillation weights, scaled from epochs to iterations: weight 0 for
# the first 2/3 of training, then the exp(-5(1-t)^2) ramp.
_base_ = './efficientdet-official-d0_240it_toy.py'
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
    # 2/3 warm-up, 1/3 ramp of max_iters (160 + 80 of 240)
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    # the self-teacher's own val mIoU and its lead over the student
    # (self_teacher/mIoU, self_teacher/lead; docs/frskd_regimes.md)
    dict(type='SelfTeacherLeadHook')
]
# Every parameter is on a loss path (see the VOC FRSKD official config).
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=False)

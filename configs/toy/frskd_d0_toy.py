# Toy FRSKD: the toy baseline plus a 2-layer BiFPN self-teacher with its own
# head, trained with the same budget and seed. FRSKD's schedule of the
# distillation weights, scaled from epochs to iterations: weight 0 for the
# first 2/3 of training, then the exp(-5(1-t)^2) ramp.
_base_ = './efficientdet_d0_toy.py'
model = dict(
    type='FRSKDSegmentor',
    self_teacher=dict(
        neck=dict(
            type='WeightedBiFPN',
            in_channels=[32] * 6,  # the student BiFPN's P2..P7
            out_channels=32,
            num_layers=2,
            min_level=2,
            max_level=7,
            backbone_min_level=2,
            norm_cfg=dict(type='BN', momentum=0.1, eps=1e-3))),
    distill=dict(
        alpha=1.0,
        beta=50.0,
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_loss=dict(type='ATLoss')))
custom_hooks = [
    dict(
        type='DistillWeightScheduleHook',
        warmup=400,  # of max_iters=600
        ramp=200,
        by_epoch=False)
]

# Toy FRSKD: the toy baseline plus a 2-layer BiFPN self-teacher with its own
# head, trained with the same budget and seed. FRSKD's schedule of the
# distillation weights, scaled from epochs to iterations: weight 0 for the
# first 2/3 of training, then the exp(-5(1-t)^2) ramp.
_base_ = './efficientdet_d0_toy.py'
model = dict(
    type='FRSKDSegmentor',
    # 2 more layers of the student's BiFPN (its width, levels and norm),
    # fed with the student's P2..P7
    self_teacher=dict(neck=dict(num_layers=2)),
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

# Toy FRSKD: the toy baseline plus a 2-layer BiFPN self-teacher with its own
# head, trained with the same budget and seed. FRSKD's schedule of the
# distillation weights, scaled from epochs to iterations: weight 0 for the
# first 2/3 of training, then the exp(-5(1-t)^2) ramp.
_base_ = '../efficientdet_seg/efficientdet-d0_240it_toy.py'
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
    # distillation weights 0 for the first 2/3 of max_iters, then a sigmoid
    # ramp to full weight over the last 1/3 (the paper's 40 + 20 of 60
    # epochs): 160 + 80 of 240 iterations here, and the same shape for any
    # max_iters a derived config sets
    dict(type='DistillWeightScheduleHook', by_epoch=False),
    # the self-teacher's own val mIoU and its lead over the student
    # (self_teacher/mIoU, self_teacher/lead; docs/frskd_regimes.md)
    dict(type='SelfTeacherLeadHook')
]
# Every parameter trains (the student's P3..P7 feed the self-teacher and the
# AT loss; the self-teacher's last layer outputs its top-down pass), so DDP
# need not search for unused ones (the baseline model sets the search on).
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=False)

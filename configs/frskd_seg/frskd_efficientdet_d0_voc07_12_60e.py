# FRSKD (Table 4): the d0 baseline plus a self-teacher of 2 more BiFPN layers
# with its own head; alpha 1 (pixel KD, T 1), beta 50 (AT over all BiFPN
# levels); distillation weights 0 for 40 epochs, then the sigmoid ramp to
# full weight over the last 20 (the authors' code). Paper: 80.55 mIoU.
_base_ = '../efficientdet_seg/efficientdet_d0_voc07_12_60e.py'
model = dict(
    type='FRSKDSegmentor',
    self_teacher=dict(
        neck=dict(
            type='WeightedBiFPN',
            in_channels=[64] * 6,  # the student BiFPN's P2..P7
            out_channels=64,
            num_layers=2,
            min_level=2,
            max_level=7,
            backbone_min_level=2,
            norm_cfg={{_base_.norm_cfg}})),
    distill=dict(
        alpha=1.0,
        beta=50.0,
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_loss=dict(type='ATLoss')))
custom_hooks = [
    dict(type='DistillWeightScheduleHook', warmup=40, ramp=20, by_epoch=True)
]

# FRSKD on your own COCO-format data: the d0 baseline of
# configs/efficientdet_seg/efficientdet_d0_coco_custom.py plus the 2-layer
# BiFPN self-teacher, alpha 1 (pixel KD), beta 50 (AT), distillation weights
# 0 for the first 2/3 of training and then ramped in (as the VOC recipe).
# Set num_classes there (or here) to 1 + your number of categories.
_base_ = '../efficientdet_seg/efficientdet_d0_coco_custom.py'
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
    dict(type='DatasetModelCheckHook'),
    dict(type='DistillWeightScheduleHook', warmup=40, ramp=20, by_epoch=True)
]

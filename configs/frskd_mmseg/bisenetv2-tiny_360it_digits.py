# Baseline on the digits scenes from mmseg's own BiSeNetV2 model config,
# narrowed for 2 CPU cores: detail branch 16/16/32, semantic branch
# 8/16/32/32 (expansion 2), FCN head of 64 channels, the four auxiliary
# heads at 16..32 channels, from scratch, 128 crops (the digits set),
# batch 8, BN, 360 iterations.
_base_ = ['mmseg::_base_/models/bisenetv2.py', '../_base_/digits_seg_cpu.py']
norm_cfg = dict(type='BN', requires_grad=True)
# Background is 93 % of the digits pixels: the decode head's CE keeps the
# pixels its prediction gets wrong or unsure of (p < 0.7), at least 2048 per
# 128x128 crop (1/8), as mmseg's STDC and Cityscapes DeepLabV3 recipes do.
# Without it the tiny models predicted background only for 360+ iterations.
ohem = dict(type='OHEMPixelSampler', thresh=0.7, min_kept=2048)
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    backbone=dict(
        detail_channels=(16, 16, 32),
        semantic_channels=(8, 16, 32, 32),
        semantic_expansion_ratio=2,
        bga_channels=32),
    decode_head=dict(
        in_channels=32,
        channels=64,
        num_classes=11,
        norm_cfg=norm_cfg,
        sampler=ohem),
    # a list replaces the base's list: every key of the zoo's aux heads
    auxiliary_head=[
        dict(
            type='FCNHead',
            in_channels=in_channels,
            channels=channels,
            num_convs=2,
            num_classes=11,
            in_index=level,
            norm_cfg=norm_cfg,
            concat_input=False,
            align_corners=False,
            loss_decode=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))
        for level, in_channels, channels in ((1, 8, 16), (2, 16, 16),
                                             (3, 32, 32), (4, 32, 32))
    ])

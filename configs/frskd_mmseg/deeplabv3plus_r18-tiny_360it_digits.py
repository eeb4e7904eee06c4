# Baseline on the digits scenes (docs/digits_dataset.md) from mmseg's own
# DeepLabV3+ model config, narrowed for 2 CPU cores: ResNetV1c-18 at a
# quarter width (16..128 channels, dilated C4/C5 as in the zoo), ASPP head of
# 64 channels, from scratch, 128 crops (the digits set), batch 8, BN (not
# SyncBN), 360 iterations (configs/_base_/digits_seg_cpu.py).
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    '../_base_/digits_seg_cpu.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
# Background is 93 % of the digits pixels: the decode head's CE keeps the
# pixels its prediction gets wrong or unsure of (p < 0.7), at least 2048 per
# 128x128 crop (1/8), as mmseg's STDC and Cityscapes DeepLabV3 recipes do.
# Without it the tiny models predicted background only for 360+ iterations.
ohem = dict(type='OHEMPixelSampler', thresh=0.7, min_kept=2048)
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    pretrained=None,
    backbone=dict(
        depth=18, base_channels=16, stem_channels=16, norm_cfg=norm_cfg),
    # ASPP on C5 (128 channels), skip from C2 (16 channels)
    decode_head=dict(
        in_channels=128,
        c1_in_channels=16,
        c1_channels=12,
        channels=64,
        num_classes=11,
        norm_cfg=norm_cfg,
        sampler=ohem),
    auxiliary_head=dict(
        in_channels=64, channels=32, num_classes=11, norm_cfg=norm_cfg))

# Baseline on the digits scenes from mmseg's own OCRNet model config (a
# cascade: FCN head on C4, then the OCR head on C5), narrowed for 2 CPU
# cores: ResNetV1c-18 at a quarter width (16..128 channels, dilated C4/C5),
# heads of 32 / 64 channels, from scratch, 128 crops, batch 8, BN, 360
# iterations (configs/_base_/digits_seg_cpu.py).
_base_ = [
    'mmseg::_base_/models/ocrnet_r50-d8.py', '../_base_/digits_seg_cpu.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
# OHEM as in the other *_digits.py models (background is 93 % of the pixels)
ohem = dict(type='OHEMPixelSampler', thresh=0.7, min_kept=2048)
head_common = dict(
    dropout_ratio=0.1,
    num_classes=11,
    norm_cfg=norm_cfg,
    align_corners=False,
    sampler=ohem)
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    pretrained=None,
    backbone=dict(
        depth=18, base_channels=16, stem_channels=16, norm_cfg=norm_cfg),
    # a list replaces the base's list: every key of both stages
    decode_head=[
        dict(
            type='FCNHead',
            in_channels=64,
            in_index=2,
            channels=32,
            num_convs=1,
            concat_input=False,
            loss_decode=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4),
            **head_common),
        dict(
            type='OCRHead',
            in_channels=128,
            in_index=3,
            channels=64,
            ocr_channels=32,
            loss_decode=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            **head_common)
    ])

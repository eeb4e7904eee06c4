# DeepLabV3+'s head (DepthwiseSeparableASPPHead: ASPP on stride 32, the c1
# branch on stride 4) on the ImageNet EfficientNet-Lite0, mmseg's
# EncoderDecoder, digits scenes in the paper's regime (data, split and
# schedule of configs/efficientdet_seg/efficientdet-d0-lite0_900it_digits.py).
_base_ = ['../efficientdet_seg/efficientdet-d0-lite0_900it_digits.py']
norm_cfg = dict(type='BN', requires_grad=True, momentum=0.1)
model = dict(
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='DepthwiseSeparableASPPHead',
        in_channels=320,
        in_index=3,
        channels=64,
        dilations=(1, 2, 3, 4),
        c1_in_channels=24,
        c1_channels=16,
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))

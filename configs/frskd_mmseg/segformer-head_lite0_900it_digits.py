# An mmseg model family on the ImageNet EfficientNet-Lite0: mmseg's
# EncoderDecoder with SegFormer's all-MLP head (SegformerHead) on the
# backbone's strides 4..32, in the paper's regime on the digits scenes (data,
# split and schedule of configs/efficientdet_seg/efficientdet-d0-lite0_900it_digits.py).
_base_ = ['../efficientdet_seg/efficientdet-d0-lite0_900it_digits.py']
norm_cfg = dict(type='BN', requires_grad=True, momentum=0.1)
model = dict(
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='SegformerHead',
        in_channels=[24, 40, 112, 320],
        in_index=[0, 1, 2, 3],
        channels=64,
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))

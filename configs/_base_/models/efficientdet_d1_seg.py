# EfficientDet-d1-style segmentation as FRSKD used it: EfficientNet-B1 and a
# BiFPN of width 88, but 3 BiFPN layers (EfficientDet's d1 has 4) and 512
# crops (EfficientDet's d1 uses 640): FRSKD's setting, not EfficientDet's.
_base_ = './efficientdet_d0_seg.py'
bifpn_channels = 88
model = dict(
    backbone=dict(arch='b1'),
    neck=dict(out_channels=bifpn_channels),
    decode_head=dict(in_channels=bifpn_channels))

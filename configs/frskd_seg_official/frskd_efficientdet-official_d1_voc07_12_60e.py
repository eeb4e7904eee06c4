# FRSKD (Table 4) on the authors' own network with EfficientNet-B1 (width 88).
# Paper: 83.88 mIoU.
_base_ = './frskd_efficientdet-official_d0_voc07_12_60e.py'
bifpn_channels = 88
model = dict(
    backbone=dict(arch='b1'),
    neck=dict(out_channels=bifpn_channels),
    decode_head=dict(in_channels=bifpn_channels),
    self_teacher=dict(
        neck=dict(
            in_channels=[bifpn_channels] * 6, out_channels=bifpn_channels)))

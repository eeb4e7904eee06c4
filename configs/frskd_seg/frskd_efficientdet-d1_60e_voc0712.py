# FRSKD (Table 4) on the d1 model (B1, BiFPN width 88). Paper: 83.88 mIoU.
_base_ = './frskd_efficientdet-d0_60e_voc0712.py'
model = dict(
    backbone=dict(arch='b1'),
    neck=dict(out_channels=88),
    decode_head=dict(in_channels=88))  # the self-teacher follows the neck

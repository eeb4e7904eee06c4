# FRSKD (Table 4) on the authors' own network with EfficientNet-B1 (width 88).
# Paper: 83.88 mIoU.
_base_ = './frskd_efficientdet-official-d0_60e_voc0712.py'
bifpn_channels = 88
model = dict(
    # as _base_/models/frskd_official_d1_seg.py: B1 with the static padding
    # of the authors' from_pretrained (240-px images)
    backbone=dict(arch='b1', static_image_size=240),
    neck=dict(out_channels=bifpn_channels),
    decode_head=dict(in_channels=bifpn_channels),
    self_teacher=dict(
        neck=dict(
            in_channels=[bifpn_channels] * 6, out_channels=bifpn_channels)))

# The FRSKD authors' segmentation network with EfficientNet-B1 (paper Table 4
# d1: 81.95 -> 83.88 mIoU): width 88, still 3 BiFPN layers and 512 crops. B1's
# C2..C5 are blocks 2, 5, 8 and 22 (the authors' grouping 0-2, 3-5, 6-8, 9-11,
# 12-22): 24/40/80/320 channels, as B0. The authors' from_pretrained builds
# B1's static padding for 240-px images: at a 512 input block 16 (stride-2
# 5x5) pads (2, 2, 2, 2) where dynamic padding pads (1, 2, 1, 2).
# See frskd_official_d0_seg.py.
_base_ = './frskd_official_d0_seg.py'
bifpn_channels = 88
model = dict(
    backbone=dict(arch='b1', static_image_size=240),
    neck=dict(out_channels=bifpn_channels),
    decode_head=dict(in_channels=bifpn_channels))

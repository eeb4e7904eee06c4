# A larger model of the digits scenes to distil from (issue 32,
# docs/cwd_dist.md): the SegFormer of segformer_mit-tiny_360it_digits.py
# (MiT 16..128, one block per stage, from scratch) with a weighted BiFPN
# neck (3 layers, 64 channels, on the 4 MiT levels) before the all-MLP
# head. The BiFPN on MiT levels is what FRSKD's self-teacher adds to this
# family, and that self-teacher leads the student by about 12 mIoU on the
# digits scenes; trained alone and longer (the teacher-student table trains
# it for 1800 iterations, the students for 900), it is the teacher of the
# teacher-student configs of this folder (*_segformer-bifpn_segformer_*).
_base_ = ['../frskd_mmseg/segformer_mit-tiny_360it_digits.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    neck=dict(
        type='WeightedBiFPN',
        in_channels=[16, 32, 80, 128],
        out_channels=64,
        num_layers=3,
        min_level=2,
        max_level=5,
        backbone_min_level=2,
        norm_cfg=dict(type='BN', momentum=0.01, eps=1e-3)),
    decode_head=dict(in_channels=[64, 64, 64, 64]))

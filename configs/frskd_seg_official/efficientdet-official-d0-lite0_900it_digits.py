# The FRSKD authors' segmentation network (FRSKDSegBiFPN with its FPN, 3
# layers, FRSKDSegHead; docs/frskd_official_network.md) on the ImageNet
# EfficientNet-Lite0 in the paper's regime on the digits scenes: the data,
# split and schedule of efficientdet-d0-lite0_900it_digits.py. The backbone feeds the BiFPN as
# the authors' code does (the layers entering each stride, no stem
# activation, no drop-connect), head 64 wide for 2 CPU cores.
_base_ = '../efficientdet_seg/efficientdet-d0-lite0_900it_digits.py'
node_norm_cfg = dict(type='BN', requires_grad=True, momentum=0.1)
fpn_norm_cfg = dict(type='BN', requires_grad=True, eps=1e-4, momentum=0.1)
model = dict(
    backbone=dict(
        endpoints='frskd_official', stem_act=False, drop_connect_rate=0.),
    neck=dict(
        _delete_=True,
        type='FRSKDSegBiFPN',
        in_channels=[24, 40, 80, 320],
        out_channels={{_base_.bifpn_channels}},
        num_layers=3,
        with_fpn=True,
        norm_cfg=node_norm_cfg,
        fpn_norm_cfg=fpn_norm_cfg,
        act_cfg=dict(type='ReLU', inplace=True)),
    decode_head=dict(
        _delete_=True,
        type='FRSKDSegHead',
        in_channels={{_base_.bifpn_channels}},
        in_index=0,
        channels=64,
        dropout_ratio=0.,
        num_classes=11,
        norm_cfg=fpn_norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)))

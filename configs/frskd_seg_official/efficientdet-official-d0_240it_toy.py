# Toy baseline on the FRSKD authors' segmentation network (the one behind the
# paper's Table 4, see _base_/models/frskd_official_d0_seg.py): the toy data,
# schedule, seed and widths of efficientdet-d0_240it_toy.py, the official network
# in place of the EfficientDet one.
_base_ = '../efficientdet_seg/efficientdet-d0_240it_toy.py'
# BN momentum 0.1 everywhere (see efficientdet-d0_240it_toy.py); eps as the code.
node_norm_cfg = dict(type='BN', requires_grad=True)
fpn_norm_cfg = dict(type='BN', requires_grad=True, eps=1e-4)
head_norm_cfg = dict(type='BN', requires_grad=True, eps=1e-4)
bifpn_channels = 32
model = dict(
    backbone=dict(
        endpoints='frskd_official', stem_act=False, drop_connect_rate=0.),
    neck=dict(
        _delete_=True,
        type='FRSKDSegBiFPN',
        in_channels=[24, 40, 80, 320],
        out_channels=bifpn_channels,
        num_layers=3,
        with_fpn=True,
        norm_cfg=node_norm_cfg,
        fpn_norm_cfg=fpn_norm_cfg,
        act_cfg=dict(type='ReLU', inplace=True)),
    decode_head=dict(
        _delete_=True,
        type='FRSKDSegHead',
        in_channels=bifpn_channels,
        in_index=0,
        channels=64,
        dropout_ratio=0.,
        num_classes=5,
        norm_cfg=head_norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)))
# The head reads P2 only: the last BiFPN layer's bottom-up nodes are unused.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

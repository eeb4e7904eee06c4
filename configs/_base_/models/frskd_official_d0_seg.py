# The segmentation network of the FRSKD authors' code (github.com/MingiJi/
# FRSKD, segmentation/utils/efficientdet.py + BiFPN.py), the one behind the
# paper's Table 4 (d0: 79.07 -> 80.55 mIoU). NOT EfficientDet: see
# docs/frskd_official_network.md for every difference with
# efficientdet_d0_seg.py (the faithful EfficientDet network).
# - EfficientNet-B0 without stem activation and without drop-connect, with
#   the static padding of from_pretrained (224-px images); C2..C5
#   are the outputs of the FIRST block of the stride-4/8/16 stages and of the
#   last block: 24/40/80/320 channels (efficientdet_d0_seg.py: 24/40/112/320).
# - FPN (1x1 conv+BN+ReLU laterals, bilinear top-down sums; P6/P7 by 3x3/2
#   conv+BN+ReLU from the raw C5), then 3 BiFPN layers of width 64 with
#   plain-sum fusion and per-channel 1x1 conv+BN+ReLU nodes.
# - Head on P2: conv3x3 (64->256, bias)+BN+ReLU, conv3x3 (256->21), no dropout.
# BN: the authors' FPN and head BNs are BatchNorm2d(eps=1e-4, momentum=0.997).
# PyTorch's momentum is the weight of the NEW batch (TF's decay 0.997 would be
# momentum 0.003 here), so theirs keeps ~the last batch's statistics; we keep
# eps 1e-4 and PyTorch's momentum 0.1 (fpn_head_bn_momentum below; set it to
# 0.997 to copy the code literally). The BiFPN nodes use PyTorch's default BN
# (eps 1e-5, momentum 0.1), as the code. The backbone keeps
# efficientnet_pytorch's BN (momentum 0.01, eps 1e-3), as the code. SyncBN for
# multi-GPU training (tools/train.py falls back to BN when a run is not
# distributed on GPUs).
fpn_head_bn_momentum = 0.1  # the authors' code: 0.997
node_norm_cfg = dict(type='SyncBN', requires_grad=True)
fpn_norm_cfg = dict(
    type='SyncBN', requires_grad=True, eps=1e-4, momentum=fpn_head_bn_momentum)
head_norm_cfg = dict(
    type='SyncBN', requires_grad=True, eps=1e-4, momentum=fpn_head_bn_momentum)
# Label maps pad with 0 (background), as the authors' RandomScaleCrop (fill=0;
# custom_transform_seg.py line 113). The crops are already padded to 512 by
# the train pipeline (voc07_12_frskd_official.py), so this pad is a no-op
# there; it is set for consistency (the EfficientDet configs: 255, ignored).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0,
    size=(512, 512))
bifpn_channels = 64
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='EfficientNetBackbone',
        arch='b0',
        out_indices=(1, 2, 3, 4),
        endpoints='frskd_official',
        stem_act=False,
        drop_connect_rate=0.,
        # efficientnet_pytorch's static TF-"same" padding for the arch's
        # default image size, which the authors' EfficientNet.from_pretrained
        # builds (b0: 224). For b0 it pads as dynamic padding on inputs whose
        # sides are multiples of 32 (512 crops, the 512x512 evaluation).
        static_image_size=224,
        # ImageNet weights: 'imagenet' downloads through efficientnet_pytorch
        # on first use (the authors' EfficientNet.from_pretrained); set a
        # local file path for offline machines, e.g.
        # --cfg-options \
        #     model.backbone.pretrained=checkpoints/efficientnet-b0.pth
        pretrained='imagenet',
        norm_eval=False),
    neck=dict(
        type='FRSKDSegBiFPN',
        in_channels=[24, 40, 80, 320],
        out_channels=bifpn_channels,
        num_layers=3,
        with_fpn=True,
        norm_cfg=node_norm_cfg,
        fpn_norm_cfg=fpn_norm_cfg,
        act_cfg=dict(type='ReLU', inplace=True)),
    decode_head=dict(
        type='FRSKDSegHead',
        in_channels=bifpn_channels,
        in_index=0,
        channels=256,
        dropout_ratio=0.,
        num_classes=21,
        norm_cfg=head_norm_cfg,
        align_corners=False,
        # mean over labelled pixels, as torch's CrossEntropyLoss(ignore_index)
        # in FRSKD's code
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            avg_non_ignore=True,
            loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

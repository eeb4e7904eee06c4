# SFD for segmentation (our extension of the paper, which only does
# classification): an EfficientDet-d1-size teacher (EfficientNet-B1, BiFPN 88)
# trained with configs/efficientdet_seg/efficientdet_d1_voc07_12_60e.py
# distils into the d0 student (B0, BiFPN 64) on VOC07+12.
#   target Y: the teacher's finest BiFPN level P2 (stride 4, 88 ch; BiFPN
#             outputs end in conv+BN with no activation -> pre-activation)
#   student : RI on the student's finest BiFPN level (64 ch, same stride)
#   margin  : running mean of the negative teacher responses (no single BN
#             feeds a ReLU there), OFD loss weight 3, RSD after every epoch.
# Train the teacher first, then set teacher_ckpt (or --cfg-options
# model.teacher_ckpt=...).
_base_ = '../efficientdet_seg/efficientdet_d0_voc07_12_60e.py'
teacher_norm_cfg = dict(type='SyncBN', requires_grad=True, momentum=0.01,
                        eps=1e-3)
model = dict(
    type='SFDSegmentor',
    # Must equal the model the teacher checkpoint was trained with
    # (configs/_base_/models/efficientdet_d1_seg.py); the checkpoint is loaded
    # strictly.  pretrained=None: the ImageNet weights are in the checkpoint.
    teacher=dict(
        type='EncoderDecoder',
        backbone=dict(
            type='EfficientNetBackbone',
            arch='b1',
            out_indices=(1, 2, 3, 4),
            pretrained=None,
            norm_eval=False),
        neck=dict(
            type='WeightedBiFPN',
            in_channels=[24, 40, 112, 320],
            out_channels=88,
            num_layers=3,
            min_level=2,
            max_level=7,
            backbone_min_level=2,
            norm_cfg=teacher_norm_cfg),
        decode_head=dict(
            type='EfficientDetSegHead',
            in_channels=88,
            in_index=0,
            channels=256,
            num_convs=3,
            dropout_ratio=0.1,
            num_classes=21,
            norm_cfg=teacher_norm_cfg,
            align_corners=False,
            loss_decode=dict(
                type='CrossEntropyLoss',
                use_sigmoid=False,
                avg_non_ignore=True,
                loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole')),
    teacher_ckpt='checkpoints/teachers/efficientdet_d1_voc07_12_seg.pth',
    integrator=dict(type='ReceptiveFieldIntegration'),
    distill=dict(
        loss=dict(type='OFDLoss', loss_weight=3.0),
        margin='running',
        kd=None,
        student_stages=(0, ),
        teacher_stages=(0, )))
custom_hooks = [
    dict(
        type='SelfDistillHook',
        tau=(0.995, 0.999),
        random_flip=True,
        flip_prob=0.5,
        by_epoch=True)
]

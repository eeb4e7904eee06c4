# Toy SFD segmentation run (tests / CI): the toy d0 student distils from a
# wider toy teacher (BiFPN 48).  The teacher is RANDOM here
# (allow_random_teacher=True) - only to exercise the plumbing; a real run
# sets teacher_ckpt to a trained teacher.
_base_ = '../efficientdet_seg/efficientdet-d0_240it_toy.py'
toy_norm_cfg = dict(type='BN', requires_grad=True, momentum=0.01, eps=1e-3)
model = dict(
    type='SFDSegmentor',
    teacher=dict(
        type='EncoderDecoder',
        backbone=dict(
            type='EfficientNetBackbone',
            arch='b0',
            out_indices=(1, 2, 3, 4),
            pretrained=None,
            norm_eval=False),
        neck=dict(
            type='WeightedBiFPN',
            in_channels=[24, 40, 112, 320],
            out_channels=48,
            num_layers=2,
            min_level=2,
            max_level=7,
            backbone_min_level=2,
            norm_cfg=toy_norm_cfg),
        decode_head=dict(
            type='EfficientDetSegHead',
            in_channels=48,
            in_index=0,
            channels=64,
            num_convs=2,
            num_classes=5,
            norm_cfg=toy_norm_cfg,
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole')),
    teacher_ckpt=None,
    allow_random_teacher=True,
    integrator=dict(type='ReceptiveFieldIntegration'),
    distill=dict(
        loss=dict(type='OFDLoss', loss_weight=3.0),
        margin='running',
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=1.0)))
custom_hooks = [
    dict(
        type='SelfDistillHook',
        tau=(0.995, 0.999),
        by_epoch=False,
        interval=100)
]

# SFD for segmentation (our extension of the paper, which only does
# classification): an EfficientDet-d1-size teacher (EfficientNet-B1, BiFPN 88)
# trained with configs/efficientdet_seg/efficientdet-d1_60e_voc0712.py
# distils into the d0 student (B0, BiFPN 64) on VOC07+12.
#   target Y: the teacher's finest BiFPN level P2 (stride 4, 88 ch; BiFPN
#             outputs end in conv+BN with no activation -> pre-activation)
#   student : RI on the student's finest BiFPN level (64 ch, same stride)
#   margin  : running mean of the negative teacher responses (no single BN
#             feeds a ReLU there), OFD loss weight 3, RSD after every epoch.
# Train the teacher first, then set teacher_ckpt (or --cfg-options
# model.teacher_ckpt=...).
_base_ = [
    '../efficientdet_seg/efficientdet-d0_60e_voc0712.py',
    '../_base_/models/efficientdet_d1_seg_teacher.py',
]
model = dict(
    type='SFDSegmentor',
    # configs/_base_/models/efficientdet_d1_seg.py's network: must equal the
    # model the teacher checkpoint was trained with (loaded strictly).
    teacher=_base_.pop('efficientdet_d1_seg_teacher'),
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

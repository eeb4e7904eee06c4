# SFD on the digits student (WRN-10-1) from a trained WRN-16-2 teacher
# (wrn-16-2_14e_digits.py; tools/digits_experiment.py trains it first and sets
# teacher_ckpt): the paper's SFD - RI integrator, OFD loss weight 3 on the
# teacher's last-group pre-ReLU feature with the BN margin, no logit KD, RSD
# after every epoch (tau 0.995 -> 0.999, random flip).
_base_ = ['../frskd_cls/wrn-10-1_14e_digits.py']
gap = dict(type='GlobalAveragePooling')
model = dict(
    type='SFDClassifier',
    teacher=dict(
        type='ImageClassifier',
        backbone=dict(type='WideResNet', depth=16, widen_factor=2),
        neck=gap,
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=128,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher_ckpt='{{$SELFKD_DIGITS_TEACHER:work_dirs/digits/teacher.pth}}',
    integrator=dict(type='ReceptiveFieldIntegration'),
    distill=dict(
        loss=dict(type='OFDLoss', loss_weight=3.0), margin='bn', kd=None),
    teacher_norm_eval=True)
custom_hooks = [
    dict(
        type='SelfDistillHook',
        tau=(0.995, 0.999),
        random_flip=True,
        flip_prob=0.5,
        by_epoch=True)
]

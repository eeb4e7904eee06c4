# Plain resnet8x4 on CIFAR-100 with the SFD recipe (no teacher, no integrator,
# no self-distillation): the "Student" baseline of paper Table 3, and the
# config that an exported student of
# sfd_resnet32x4_resnet8x4_240e_cifar100.py loads into strictly.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', arch='resnet8x4'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
custom_hooks = []

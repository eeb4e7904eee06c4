# The SFD teacher on the digits classification set: WRN-16-2 (32/64/128
# channels, two blocks per group), same recipe as the students.
_base_ = ['../_base_/digits_cls_cpu.py']
model = dict(
    type='ImageClassifier',
    backbone=dict(type='WideResNet', depth=16, widen_factor=2),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

# Baseline student on the digits classification set: a WRN-10-1
# (RepDistiller's WRN, 16/32/64 channels, one block per group), CE only.
# The student of frskd_wrn-10-1_14e_digits.py and sfd_wrn-16-2_wrn-10-1_14e_digits.py:
# their exported students load into this config strictly.
_base_ = ['../_base_/digits_cls_cpu.py']
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='WideResNet', depth=10, widen_factor=1, out_indices=(0, 1, 2)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

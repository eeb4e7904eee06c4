# Plain student of configs/toy/frskd_cls_toy.py: the same WRN-10-1 (no norm
# in the blocks), GAP and linear head, CE only, same data and schedule.
# The FRSKD toy's exported student (tools/export_student.py) loads into this
# config strictly; tools/deployment/pytorch2onnx.py exports it to ONNX:
#   python -m selfkd_seg.testing.toy_cls data/toy_cls
#   python tools/train.py configs/toy/wrn-10-1_cls_toy.py
_base_ = ['./frskd_cls_toy.py']
model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='WideResNet',
        depth=10,
        widen_factor=1,
        norm_in_blocks=False,
        out_indices=(0, 1, 2)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=4,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

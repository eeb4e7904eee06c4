# Plain classification toy on a generated image folder (4 classes of 32x32
# coloured shapes): a 10-layer WRN (3 stages of 16/32/64 channels, no norm in
# the blocks), GAP and linear head, CE only. The baseline of
# configs/frskd_cls/frskd_wrn-10-1_4e_toy.py (same data and schedule), whose exported
# student (tools/export_student.py) loads into this config strictly;
# tools/deployment/pytorch2onnx.py exports it to ONNX:
#   python -m selfkd_research.synthetic_data.toy_cls data/toy_cls
#   python tools/train.py configs/frskd_cls/wrn-10-1_4e_toy.py
_base_ = ['mmpretrain::_base_/default_runtime.py']
default_scope = 'mmpretrain'
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)

data_root = '{{$TOY_CLS_ROOT:data/toy_cls}}'
num_classes = 4
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True)
model = dict(
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
        num_classes=num_classes,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,  # mmpretrain tools/train.py sets True
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    train_dataloader,
    dataset=dict(
        train_dataloader['dataset'], data_prefix='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=2)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(type='LoggerHook', interval=1))

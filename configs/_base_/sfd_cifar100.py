# Shared SFD recipe on CIFAR-100 (paper Sec. 4.1, RepDistiller's schedule):
# SGD momentum 0.9, wd 5e-4, lr 0.05 for every model (the paper; RepDistiller
# uses 0.01 for MobileNetV2 / ShuffleNets),
# x0.1 at epochs 150/180/210, 240 epochs, batch 64; RI integrator, OFD loss
# weight 3 on the teacher's last-stage pre-ReLU feature with the BN margin,
# RSD with tau 0.995 -> 0.999.  A pair config sets the student backbone, the
# head's in_channels, the teacher and teacher_ckpt.
_base_ = [
    './datasets/cifar100_nodl.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
default_scope = 'mmpretrain'

cifar_gap = dict(type='GlobalAveragePooling')
cifar_head = dict(
    type='LinearClsHead',
    num_classes=100,
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
model = dict(
    type='SFDClassifier',
    neck=cifar_gap,
    head=cifar_head,
    # the teacher's own config; its backbone and head.in_channels come from
    # the pair config, and must equal the teacher's training config
    teacher=dict(type='ImageClassifier', neck=cifar_gap, head=cifar_head),
    integrator=dict(type='ReceptiveFieldIntegration'),
    distill=dict(
        loss=dict(type='OFDLoss', loss_weight=3.0), margin='bn', kd=None),
    teacher_norm_eval=True)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=5)
val_cfg = dict()
test_cfg = dict()
# Papers report the last epoch; CIFAR-100's val set is its test set, so no
# save_best (selecting an epoch on it would tune on the test split).
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
custom_hooks = [
    dict(
        type='SelfDistillHook',
        tau=(0.995, 0.999),
        random_flip=True,
        flip_prob=0.5,
        by_epoch=True)
]
# RepDistiller's batch 64 on one GPU; mmpretrain scales lr if enabled.
auto_scale_lr = dict(base_batch_size=64)

# Pretrain the segmentation backbone as a classifier (FRSKD issue 20, the
# "pretrained" regime): EfficientNet-B0, the backbone of
# efficientdet-d0_360it_digits.py, trained as an image classifier on the digits
# class folders (32x32 single digits, upscaled to 64x64 so a digit is 36-54
# px, the scale of the digits in the 128x128 scenes), the way the papers start
# from ImageNet weights. The seg configs load the result through the
# backbone's local-weights path:
#   python tools/train.py configs/frskd_cls/efficientnet-b0_12e_digits.py
#   python tools/train.py configs/efficientdet_seg/efficientdet-d0_360it_digits.py \
#       --cfg-options model.backbone.pretrained=work_dirs/efficientnet-b0_12e_digits/epoch_12.pth
# (an mmpretrain checkpoint: the backbone reads its `backbone.` keys; the
# classifier's neck and head are dropped.)
# Same normalisation as the seg data preprocessor (ImageNet mean/std, RGB).
_base_ = ['../_base_/digits_cls_cpu.py']
max_epochs = 12
data_preprocessor = dict(
    num_classes=10,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='Resize', scale=(64, 64)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64)),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    type='ImageClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='EfficientNetBackbone',
        arch='b0',
        out_indices=(4, ),
        pretrained=None,
        drop_connect_rate=0.,
        # as the seg configs (short runs from scratch, see there)
        bn_momentum=0.1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=320,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
# AdamW + cosine: SGD at the digits recipe's lr 0.05 left B0 at chance
# (loss 2.30 after 8 epochs) from scratch; EfficientNet is hard to train
# with plain SGD without a long warm-up.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=max_epochs)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=max_epochs))

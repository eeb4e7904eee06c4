# WRN-16-2 as in FRSKD's code (no BN inside the blocks, a BN after each group),
# features after each group: 32, 64, 128 channels.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='WideResNet',
        depth=16,
        widen_factor=2,
        norm_in_blocks=False,
        out_indices=(0, 1, 2)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

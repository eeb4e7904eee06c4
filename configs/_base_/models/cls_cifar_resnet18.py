# CIFAR ResNet-18 of FRSKD (3x3 stride-1 stem, no max-pool); every stage is
# returned so an FRSKD self-teacher can be attached.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet18', depth=18, out_indices=(0, 1, 2, 3)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

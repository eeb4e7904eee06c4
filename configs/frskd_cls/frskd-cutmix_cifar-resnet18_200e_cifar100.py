# FRSKD + cutmix (soft labels: the head's soft CE is reused for the
# self-teacher).
_base_ = ['./frskd_cifar-resnet18_200e_cifar100.py']
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0, use_soft=True)),
    train_cfg=dict(augments=dict(type='CutMix', alpha=1.0)))

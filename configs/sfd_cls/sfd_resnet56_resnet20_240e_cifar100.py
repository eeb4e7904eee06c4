# SFD (RI + RSD) resnet56 -> resnet20 on CIFAR-100, paper Table 3. Paper: 72.02 top-1.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet20'),
    head=dict(in_channels=64),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet56'),
        head=dict(in_channels=64)),
    teacher_ckpt='checkpoints/teachers/resnet56.pth')

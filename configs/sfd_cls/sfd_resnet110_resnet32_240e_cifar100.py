# SFD (RI + RSD) resnet110 -> resnet32 on CIFAR-100, paper Table 3. Paper: 74.14 top-1.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet32'),
    head=dict(in_channels=64),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet110'),
        head=dict(in_channels=64)),
    teacher_ckpt='checkpoints/teachers/resnet110.pth')

# SFD (RI + RSD) resnet32x4 -> resnet8x4 on CIFAR-100, paper Table 3. Paper: 75.83 top-1.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet8x4'),
    head=dict(in_channels=256),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet32x4'),
        head=dict(in_channels=256)),
    teacher_ckpt='checkpoints/teachers/resnet32x4.pth')

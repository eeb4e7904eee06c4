# SFD (RI + RSD) vgg13 -> vgg8 on CIFAR-100, paper Table 3. Paper: 73.95 top-1.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='CIFARVGG', arch='vgg8'),
    head=dict(in_channels=512),
    teacher=dict(
        backbone=dict(type='CIFARVGG', arch='vgg13'),
        head=dict(in_channels=512)),
    teacher_ckpt='checkpoints/teachers/vgg13.pth')

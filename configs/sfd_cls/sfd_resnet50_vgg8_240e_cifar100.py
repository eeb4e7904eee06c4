# SFD (RI + RSD) ResNet50 -> vgg8 on CIFAR-100, paper Table 4. Paper Table 4 reports this pair.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='CIFARVGG', arch='vgg8'),
    head=dict(in_channels=512),
    teacher=dict(
        backbone=dict(type='CIFARResNet18', depth=50),
        head=dict(in_channels=2048)),
    teacher_ckpt='checkpoints/teachers/ResNet50.pth')

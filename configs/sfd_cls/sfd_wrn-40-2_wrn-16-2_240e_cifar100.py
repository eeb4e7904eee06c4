# SFD (RI + RSD) wrn_40_2 -> wrn_16_2 on CIFAR-100, paper Table 3. Paper: 76.51 top-1.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='WideResNet', depth=16, widen_factor=2),
    head=dict(in_channels=128),
    teacher=dict(
        backbone=dict(type='WideResNet', depth=40, widen_factor=2),
        head=dict(in_channels=128)),
    teacher_ckpt='checkpoints/teachers/wrn_40_2.pth')

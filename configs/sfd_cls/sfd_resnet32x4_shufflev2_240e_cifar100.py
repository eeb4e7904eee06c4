# SFD (RI + RSD) resnet32x4 -> ShuffleV2 on CIFAR-100, paper Table 4. Paper: 77.94 top-1.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='CIFARShuffleNetV2'),
    head=dict(in_channels=1024),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet32x4'),
        head=dict(in_channels=256)),
    teacher_ckpt='checkpoints/teachers/resnet32x4.pth')
# lr 0.05 from the base: the SFD paper (Sec. 4.1) states it for all models.
# RepDistiller's scripts use 0.01 for MobileNetV2 / ShuffleNets; to follow
# them: --cfg-options optim_wrapper.optimizer.lr=0.01

# SFD (RI + RSD) vgg13 -> MobileNetV2 on CIFAR-100, paper Table 4. Paper Table 4 reports this pair.
_base_ = '../_base_/sfd_cifar100.py'
model = dict(
    backbone=dict(type='CIFARMobileNetV2', width_mult=0.5),
    head=dict(in_channels=1280),
    teacher=dict(
        backbone=dict(type='CIFARVGG', arch='vgg13'),
        head=dict(in_channels=512)),
    teacher_ckpt='checkpoints/teachers/vgg13.pth')
# lr 0.05 from the base: the SFD paper (Sec. 4.1) states it for all models.
# RepDistiller's scripts use 0.01 for MobileNetV2 / ShuffleNets; to follow
# them: --cfg-options optim_wrapper.optimizer.lr=0.01

# FRSKD (Ji et al., CVPR 2021) on Tiny-ImageNet (32x32), CIFAR ResNet-18:
# cifar-resnet18_200e_tinyimagenet32.py
# plus the BiFPNc self-teacher of _base_/models/frskd_cls_bifpnc.py;
# L = CE + CE(self-teacher) + alpha*KD(T=4) + beta*AT.
_base_ = [
    './cifar-resnet18_200e_tinyimagenet32.py',
    '../_base_/models/frskd_cls_bifpnc.py'
]
model = _base_.pop('frskd_cls_model')
model.distill.update(alpha=3.0, beta=100.0)

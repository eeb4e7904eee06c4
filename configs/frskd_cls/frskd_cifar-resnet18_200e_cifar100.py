# FRSKD (Ji et al., CVPR 2021) on CIFAR-100, cifar_resnet18:
# cifar-resnet18_200e_cifar100.py
# plus the BiFPNc self-teacher of _base_/models/frskd_cls_bifpnc.py;
# L = CE + CE(self-teacher) + alpha*KD(T=4) + beta*AT.
_base_ = [
    './cifar-resnet18_200e_cifar100.py', '../_base_/models/frskd_cls_bifpnc.py'
]
model = _base_.pop('frskd_cls_model')
model.distill.update(alpha=2.0, beta=100.0)

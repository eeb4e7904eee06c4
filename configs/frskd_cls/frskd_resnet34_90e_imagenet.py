# FRSKD (Ji et al., CVPR 2021) on ImageNet, ResNet-34: resnet34_90e_imagenet.py
# plus the BiFPNc self-teacher of _base_/models/frskd_cls_bifpnc.py;
# L = CE + CE(self-teacher) + alpha*KD(T=4) + beta*AT.
_base_ = ['./resnet34_90e_imagenet.py', '../_base_/models/frskd_cls_bifpnc.py']
model = _base_.pop('frskd_cls_model')
model.distill.update(alpha=1.0, beta=200.0)

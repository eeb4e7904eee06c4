# FRSKD (Ji et al., CVPR 2021) on CIFAR-100, cifar_resnet18: classifier + BiFPNc
# self-teacher; L = CE + CE(self-teacher) + alpha*KD(T=4) + beta*AT.
_base_ = ['./cifar_resnet18_cifar100.py']

model = dict(
    type='FRSKDClassifier',
    self_teacher=dict(type='FRSKDBiFPNc', width=2, num_layers=1, depth=2),
    distill=dict(
        alpha=2.0,
        beta=100.0,
        temperature=4.0,
        feature_loss=dict(type='ATLoss')))

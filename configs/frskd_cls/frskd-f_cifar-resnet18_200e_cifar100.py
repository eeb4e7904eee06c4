# FRSKD\F: soft-label distillation only (no feature distillation, beta=0).
_base_ = ['./frskd_cifar-resnet18_200e_cifar100.py']
model = dict(distill=dict(beta=0.0))

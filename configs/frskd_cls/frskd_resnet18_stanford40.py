# FRSKD (Ji et al., CVPR 2021) on Stanford40, ResNet-18: classifier + BiFPNc
# self-teacher; L = CE + CE(self-teacher) + alpha*KD(T=4) + beta*AT.
_base_ = ['./resnet18_stanford40.py']

model = dict(
    type='FRSKDClassifier',
    self_teacher=dict(type='FRSKDBiFPNc', width=2, num_layers=1, depth=2),
    distill=dict(
        alpha=1.0,
        beta=200.0,
        temperature=4.0,
        feature_loss=dict(type='ATLoss')))

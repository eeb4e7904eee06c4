# FRSKD on the digits student (WRN-10-1): a BiFPNc self-teacher (width 2,
# FRSKD's CIFAR setting) on the three group features; L = CE + CE(self-
# teacher) + alpha KD(T=4) + beta AT with FRSKD's CIFAR-100 alpha 2, beta 100
# (classification trains with distillation from the first iteration).
_base_ = ['./wrn-10-1_digits.py']
model = dict(
    type='FRSKDClassifier',
    self_teacher=dict(type='FRSKDBiFPNc', width=2, num_layers=1, depth=2),
    distill=dict(
        alpha=2.0,
        beta=100.0,
        temperature=4.0,
        feature_loss=dict(type='ATLoss')))

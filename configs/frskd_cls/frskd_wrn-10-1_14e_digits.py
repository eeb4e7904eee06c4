# FRSKD on the digits student (WRN-10-1): the BiFPNc self-teacher of
# _base_/models/frskd_cls_bifpnc.py (width 2, FRSKD's CIFAR setting) on the
# three group features; L = CE + CE(self-teacher) + alpha KD(T=4) + beta AT
# with FRSKD's CIFAR-100 alpha 2, beta 100 (classification trains with
# distillation from the first iteration).
_base_ = ['./wrn-10-1_14e_digits.py', '../_base_/models/frskd_cls_bifpnc.py']
model = _base_.pop('frskd_cls_model')
model.distill.update(alpha=2.0, beta=100.0)

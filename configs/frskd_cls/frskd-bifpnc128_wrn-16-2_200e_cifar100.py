# Table 6: BiFPNc whose deepest level has 128 channels: width 1 x WRN-16-2's
# 128-channel last stage (levels 32/64/128). The default BiFPNc (width 2,
# frskd_wrn-16-2_200e_cifar100.py) is Table 6's "BiFPNc 256" (64/128/256).
_base_ = ['./frskd_wrn-16-2_200e_cifar100.py']
model = dict(self_teacher=dict(width=1))

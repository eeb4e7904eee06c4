# Deprecated path: moved to configs/sfd_cls/ (same name). This file only
# redirects, so old commands keep working: same config, same work_dir.
_base_ = ['../sfd_cls/sfd_wrn-40-2_shufflev1_cifar100.py']
_deprecation_ = dict(expected='configs/sfd_cls/sfd_wrn-40-2_shufflev1_cifar100.py')

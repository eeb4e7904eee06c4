# Deprecated path: moved to configs/sfd_cls/ (same name). This file only
# redirects, so old commands keep working: same config, same work_dir.
_base_ = ['../sfd_cls/sfd_resnet50_vgg8_cifar100.py']
_deprecation_ = dict(expected='configs/sfd_cls/sfd_resnet50_vgg8_cifar100.py')

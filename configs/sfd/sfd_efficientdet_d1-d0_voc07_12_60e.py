# Deprecated path: moved to configs/sfd_seg/ (same name). This file only
# redirects, so old commands keep working: same config, same work_dir.
_base_ = ['../sfd_seg/sfd_efficientdet_d1-d0_voc07_12_60e.py']
_deprecation_ = dict(expected='configs/sfd_seg/sfd_efficientdet_d1-d0_voc07_12_60e.py')

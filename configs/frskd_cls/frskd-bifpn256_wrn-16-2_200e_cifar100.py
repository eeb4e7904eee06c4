# Table 6: BiFPN self-teacher with 256 channels at every level, WRN-16-2.
_base_ = ['./frskd_wrn-16-2_200e_cifar100.py']
model = dict(
    self_teacher=dict(
        _delete_=True,
        type='FRSKDBiFPN',
        num_channels=256,
        num_layers=1,
        depth=2))

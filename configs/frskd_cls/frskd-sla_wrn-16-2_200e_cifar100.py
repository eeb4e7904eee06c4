# FRSKD+SLA (paper Table 1) with WRN-16-2: 4 rotations, joint 4C-way heads
# (training only), SLA-SD soft labels with weight 1.
_base_ = ['./frskd_wrn-16-2_200e_cifar100.py']
model = dict(
    type='FRSKDSLAClassifier',
    sla=dict(num_rotations=4, aux_weight=1.0, aggregate_at_test=False))

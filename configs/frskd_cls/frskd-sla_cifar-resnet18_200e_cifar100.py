# FRSKD+SLA (paper Table 1): FRSKD plus self-supervised label augmentation
# with 4 rotations, joint 4C-way heads on the classifier and the self-teacher
# (training only) and SLA-SD soft labels with weight 1 (the code's
# --aux sla --aux_lamb 1). The deployable student is the plain classifier.
_base_ = ['./frskd_cifar-resnet18_200e_cifar100.py']
model = dict(
    type='FRSKDSLAClassifier',
    sla=dict(num_rotations=4, aux_weight=1.0, aggregate_at_test=False))

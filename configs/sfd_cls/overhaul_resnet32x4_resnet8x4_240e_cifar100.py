# Overhaul baseline (Heo et al.) at the LAST stage only (the original
# distils every stage): 1x1 conv + BN connector on the student's pre-ReLU
# feature, partial L2 to max(teacher pre-ReLU, BN margin), sum / batch /
# 1000 with weight 1, teacher BN in train mode. No self-distillation.
_base_ = './sfd_resnet32x4_resnet8x4_240e_cifar100.py'
model = dict(
    integrator=dict(_delete_=True, type='ConvBNConnector'),
    distill=dict(
        _delete_=True,
        loss=dict(type='OFDLoss', loss_weight=1.0),
        margin='bn',
        student_feature='pre',
        teacher_feature='pre'),
    teacher_norm_eval=False)
custom_hooks = []

# KD baseline (Hinton et al.), RepDistiller's weights: 0.1 CE + 0.9 KD, T=4.
# No feature distillation, no integrator, no self-distillation.
_base_ = './sfd_resnet32x4_resnet8x4_240e_cifar100.py'
model = dict(
    head=dict(loss=dict(loss_weight=0.1)),
    integrator=None,
    distill=dict(
        _delete_=True,
        loss=None,
        margin=None,
        kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)))
custom_hooks = []

# Attention-transfer baseline (Zagoruyko & Komodakis), RepDistiller's beta
# 1000: AT between the post-ReLU outputs of all three stages (same sizes in
# both nets), no integrator, no self-distillation.
_base_ = './sfd_resnet32x4_resnet8x4_240e_cifar100.py'
model = dict(
    integrator=None,
    distill=dict(
        _delete_=True,
        loss=dict(type='ATLoss', loss_weight=1000.0),
        margin=None,
        student_stages=(0, 1, 2),
        teacher_stages=(0, 1, 2),
        student_feature='post',
        teacher_feature='post'))
custom_hooks = []

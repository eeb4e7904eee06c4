# FitNet baseline (Romero et al.), RepDistiller's beta 100: regress the
# student's middle stage (128 ch, 16x16) onto the teacher's (post-ReLU); the
# regressor lives in the loss (FitNetLoss). No integrator, no SD.
_base_ = './sfd_resnet32x4_resnet8x4_240e_cifar100.py'
model = dict(
    integrator=None,
    distill=dict(
        _delete_=True,
        loss=dict(
            type='FitNetLoss',
            student_channels=128,
            teacher_channels=128,
            loss_weight=100.0),
        margin=None,
        student_stages=(1, ),
        teacher_stages=(1, ),
        student_feature='post',
        teacher_feature='post'))
custom_hooks = []

# SFD ablation (paper Table 1, WRN-40-2 -> WRN-16-2): AI integrator, self-distillation: SD.
_base_ = './sfd_wrn-40-2_wrn-16-2_240e_cifar100.py'
model = dict(integrator=dict(_delete_=True, type='AttentionIntegration'))
custom_hooks = [
    dict(type='SelfDistillHook', tau=(0.995, 0.999), random_flip=False)
]

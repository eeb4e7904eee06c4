# Plain wrn16_2 on CIFAR-100 (FRSKD's baseline recipe: 200 epochs, SGD 0.1).
_base_ = [
    '../_base_/models/cls_wrn16_2.py', '../_base_/datasets/cifar100_nodl.py',
    '../_base_/schedules/cls_sgd_200e.py',
    'mmpretrain::_base_/default_runtime.py'
]
default_scope = 'mmpretrain'
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)

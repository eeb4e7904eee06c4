# Plain ResNet-18 on ImageNet (FRSKD recipe: 90 epochs, x0.1 at 30/60,
# batch 256, SGD 0.1 wd 1e-4).
_base_ = [
    '../_base_/models/cls_resnet18.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/cls_sgd_90e.py',
    'mmpretrain::_base_/default_runtime.py'
]
default_scope = 'mmpretrain'
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)

train_dataloader = dict(batch_size=256)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader

# One recipe for every digits classifier (baseline, FRSKD, SFD student and
# the SFD teacher): the papers' CIFAR recipes scaled to a CPU budget. SGD
# momentum 0.9, wd 5e-4, lr 0.05, batch 64 (SFD's CIFAR-100 recipe), lr x0.1
# at 1/2 and 3/4 of training (FRSKD: 100/150 of 200 epochs), 14 epochs.
# Reported: top-1 of the LAST epoch on the held-out digits (no best-epoch
# selection). tools/digits_experiment.py overrides max_epochs / milestones
# together (--quick).
_base_ = ['./datasets/digits_cls.py', 'mmpretrain::_base_/default_runtime.py']
default_scope = 'mmpretrain'
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)

max_epochs = 14
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[7, 10], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs))

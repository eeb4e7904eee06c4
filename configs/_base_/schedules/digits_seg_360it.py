# The digits segmentation schedule (configs/efficientdet_seg/efficientdet-d0_360it_digits.py,
# configs/frskd_mmseg/*_digits.py, through ../digits_seg_cpu.py): 360
# iterations, SGD lr 0.05 momentum 0.9 wd 5e-4 with a 50-iteration linear
# warm-up, lr x0.1 at 2/3, gradient value clipping 2.0, one validation and
# one checkpoint at the end, seed 0.
max_iters = 360
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(type='value', clip_value=2.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        milestones=[max_iters * 2 // 3],
        gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    dataset_check=dict(type='DatasetModelCheckHook'))
randomness = dict(seed=0)

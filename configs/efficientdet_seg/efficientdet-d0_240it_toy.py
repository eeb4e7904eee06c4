# Toy baseline: the d0 segmentation model, narrowed for 2 CPU cores, on the
# generated toy VOC data (tools/dataset_converters/make_toy_voc.py).
# Used by the README's main job, the tests and CI.
_base_ = [
    '../_base_/models/efficientdet_d0_seg.py',
    '../_base_/datasets/toy_voc.py',
    '../_base_/seg_runtime.py',
]
# BN momentum 0.1 (not EfficientDet's 0.01): in a run of a few hundred
# iterations from scratch, 0.01 leaves the running statistics far behind the
# weights and eval-mode predictions collapse to background.
norm_cfg = dict(type='BN', requires_grad=True, momentum=0.1, eps=1e-3)
crop_size = (96, 96)  # random 96 crops of the 128x128 toy images
train_pipeline = [
    dict(type='LoadImageFromFileChecked'),
    dict(type='LoadAnnotationsChecked'),
    dict(
        type='RandomResize',
        scale=(128, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
# Loading 8 small images is cheap: worker processes would only compete with
# the model for the 2 CPU cores. The infinite sampler suits the iteration loop.
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
bifpn_channels = 32
model = dict(
    data_preprocessor=dict(size=crop_size),
    # toy runs train from scratch, offline
    backbone=dict(pretrained=None, bn_momentum=0.1),
    neck=dict(out_channels=bifpn_channels, num_layers=3, norm_cfg=norm_cfg),
    decode_head=dict(
        in_channels=bifpn_channels,
        channels=64,
        num_convs=2,
        num_classes=5,
        norm_cfg=norm_cfg))

# Sized for the main job (tools/run_main_job.sh): baseline and FRSKD train
# side by side, one thread each, in about 2 minutes on 2 CPU cores; 3
# validations give the mIoU curve the job draws.
max_iters = 240
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(type='value', clip_value=2.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=1e-4,
        by_epoch=False,
        begin=30,
        end=max_iters)
]
train_cfg = dict(
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters // 3)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # a console line every ~4 s on 2 cores
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # fail before training if num_classes does not fit the dataset
    dataset_check=dict(type='DatasetModelCheckHook'))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)

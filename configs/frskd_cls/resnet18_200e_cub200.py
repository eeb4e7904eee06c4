# Plain ResNet-18 on CUB-200-2011 as class folders data/cub200/{train,test}
# (FRSKD fine-grained recipe: RandomResizedCrop 224 + flip, batch 32, 200
# epochs SGD 0.1; test Resize 256 + CenterCrop 224). Make the folders with
#   python tools/dataset_converters/cls_image_folders.py cub200 \
#       CUB_200_2011 data/cub200   (also: mit67, stanford40, dogs)
_base_ = [
    '../_base_/models/cls_resnet18.py', '../_base_/schedules/cls_sgd_200e.py',
    'mmpretrain::_base_/default_runtime.py'
]
default_scope = 'mmpretrain'
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)

data_root = 'data/cub200'
num_classes = 200
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
auto_scale_lr = dict(base_batch_size=32)

# Plain CIFAR ResNet-18 on Tiny-ImageNet at 32x32 (FRSKD recipe; the code's
# augmentation: RandomResizedCrop(32) + flip, test Resize(32)).
# Expects class folders data/tiny_imagenet/{train,val}/<wnid>/*.JPEG:
#   python tools/dataset_converters/cls_image_folders.py tiny-imagenet \
#       tiny-imagenet-200 data/tiny_imagenet
_base_ = ['./cifar-resnet18_200e_cifar100.py']

data_root = 'data/tiny_imagenet'
data_preprocessor = dict(
    num_classes=200,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]
model = dict(head=dict(num_classes=200))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='val',
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# Synthetic toy segmentation set in VOC layout (coloured shapes on textured
# backgrounds), for minute-long CPU runs.  Generate it first:
#   python tools/dataset_converters/make_toy_voc.py data/toy_voc
# (96 train / 32 val images of 128x128; SELFKD_TOY_DATA=/path overrides the
# location).  check_labels=True verifies every mask against the 5 classes.
dataset_type = 'VOCLayoutDataset'
data_root = '{{$SELFKD_TOY_DATA:data/toy_voc}}'
# Must equal the generator's meta.json (the dataset refuses a mismatch).
toy_metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle', 'stripes'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]])
crop_size = (128, 128)
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
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs')
]
# Scored at the original size: no resize.
test_pipeline = [
    dict(type='LoadImageFromFileChecked'),
    dict(type='LoadAnnotationsChecked'),
    dict(type='PackSegInputs')
]
voc_seg_folders = dict(img_path='JPEGImages', seg_map_path='SegmentationClass')
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=toy_metainfo,
        data_prefix=voc_seg_folders,
        ann_file='ImageSets/Segmentation/train.txt',
        check_labels=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=toy_metainfo,
        data_prefix=voc_seg_folders,
        ann_file='ImageSets/Segmentation/val.txt',
        check_labels=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

# Your own images with COCO-format annotations (polygons or RLE masks, as
# exported by CVAT, Label Studio, Roboflow, labelme2coco, ...).  Layout
# assumed below (change the paths, or use --cfg-options):
#   data/my_dataset/images/...             the JSONs' file_name are relative
#   data/my_dataset/annotations/train.json     to this folder
#   data/my_dataset/annotations/val.json
# SELFKD_COCO_DATA=/path overrides data_root.  Labels: 0 background, the
# categories sorted by id 1..K (class names and palette from the JSON), so the
# model needs num_classes = K + 1.  The first run rasterizes the JSON into
# PNG label maps cached in annotations/semantic_masks/ (keyed by the JSON's
# content: an edited JSON is rasterized again).  See docs/custom_dataset.md.
dataset_type = 'COCOSemanticDataset'
data_root = '{{$SELFKD_COCO_DATA:data/my_dataset}}'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFileChecked'),
    dict(type='LoadAnnotationsChecked'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFileChecked'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    # annotations after Resize: scored at the original image size
    dict(type='LoadAnnotationsChecked'),
    dict(type='PackSegInputs')
]
# How annotations become label maps (see COCOSemanticDataset):
#   overlap: 'smaller_on_top' (the smaller object wins) | 'later_on_top'
#   crowd: 'ignore' (iscrowd=1 regions -> 255) | 'category'
#   missing_images: 'error' | 'skip' (warn and leave out)
#   cache_dir: None (annotations/semantic_masks) or a writable folder
coco_semantic_options = dict(
    overlap='smaller_on_top',
    crowd='ignore',
    missing_images='error',
    cache_dir=None)
# 8 workers per GPU keep up with a fast train step (docs/performance.md)
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img_path='images'),
        pipeline=train_pipeline,
        **coco_semantic_options))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img_path='images'),
        pipeline=test_pipeline,
        **coco_semantic_options))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

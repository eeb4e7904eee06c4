# Handwritten-digit scenes in VOC layout: 2-4 real handwritten digits
# (scikit-learn's copy of the UCI optical digits, upscaled and tinted) on
# textured backgrounds, 11 classes (background, digit0..digit9), ignore 255 on
# the blurred rim of each digit.  Generate it first (needs scikit-learn):
#   pip install -e .[digits]
#   python tools/dataset_converters/make_digits.py data/digits
# (600 train / 200 val scenes of 128x128; SELFKD_DIGITS_DATA=/path overrides
# the location of the whole set, whose seg/ part this reads).  Train and val
# scenes are drawn from disjoint source digits (data/digits/split.json).
# See docs/digits_dataset.md.
dataset_type = 'VOCLayoutDataset'
# mmengine substitutes the {{$VAR:default}} part inside the longer string.
data_root = '{{$SELFKD_DIGITS_DATA:data/digits}}/seg'
# Must equal the generator's meta.json (the dataset refuses a mismatch).
digits_metainfo = dict(
    classes=('background', 'digit0', 'digit1', 'digit2', 'digit3', 'digit4',
             'digit5', 'digit6', 'digit7', 'digit8', 'digit9'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128],
             [128, 0, 128], [0, 128, 128], [128, 128, 128], [64, 0, 0],
             [192, 0, 0], [64, 128, 0]])
crop_size = (128, 128)
# No RandomFlip (unlike toy_voc): a mirrored digit is not that digit any
# more (a mirrored 2, 3 or 7 is no digit at all), so flipping would pair
# wrong shapes with the labels it keeps.
train_pipeline = [
    dict(type='LoadImageFromFileChecked'),
    dict(type='LoadAnnotationsChecked'),
    dict(
        type='RandomResize',
        scale=(128, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
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
        metainfo=digits_metainfo,
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
        metainfo=digits_metainfo,
        data_prefix=voc_seg_folders,
        ann_file='ImageSets/Segmentation/val.txt',
        check_labels=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

# 32x32 images of single handwritten digits (scikit-learn's copy of the UCI
# optical digits, upscaled, tinted, on textured backgrounds) in image folders
# cls/{train,val}/<0..9>/*.png, read by mmpretrain's CustomDataset (folder
# names are the classes, sorted: '0'..'9' = labels 0..9).  Generate first:
#   pip install -e .[digits]
#   python tools/dataset_converters/make_digits.py data/digits
# (3 renderings of each of the 1,347 train source digits, 1 of each of the
# 450 val ones; SELFKD_DIGITS_DATA=/path overrides the location of the set,
# whose cls/ part this reads).  See docs/digits_dataset.md.
# Datasets only: the experiment config sets default_scope='mmpretrain'.
dataset_type = 'CustomDataset'
data_root = '{{$SELFKD_DIGITS_DATA:data/digits}}/cls'
num_classes = 10
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    # LoadImageFromFile gives BGR
    to_rgb=True)

# RandomCrop(32, pad 4) as in the CIFAR recipe, but no flip: a mirrored digit
# is not the same digit.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,  # mmpretrain tools/train.py sets True
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,  # mmpretrain tools/train.py sets True
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

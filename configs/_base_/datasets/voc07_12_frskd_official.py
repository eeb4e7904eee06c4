# The FRSKD authors' training data path (github.com/MingiJi/FRSKD,
# segmentation/utils/dataset.py + custom_transform_seg.py) for the official
# configs (configs/frskd_seg_official/): voc07_12_frskd.py with its two mmseg
# conventions replaced by the authors' choices:
# - crops smaller than 512 pad the label map with 0 (background), as their
#   RandomScaleCrop (fill=0, custom_transform_seg.py line 113); mmseg and
#   voc07_12_frskd.py pad with 255 (ignored);
# - RandomCrop without cat_max_ratio (their crop is one uniform draw;
#   voc07_12_frskd.py re-draws crops where one class covers > 75 %).
# The remaining differences (resize / blur implementations, order of the
# steps) are listed in docs/frskd_official_network.md. Data sets, loaders,
# evaluation and test_pipeline_fixed512 come unchanged from voc07_12_frskd.py.
_base_ = ['./voc07_12_frskd.py']
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFileChecked'),
    dict(type='LoadAnnotationsChecked'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomGaussianBlur', prob=0.5, radius_range=(0., 1.)),
    dict(type='Pad', size=crop_size, pad_val=dict(img=0, seg=0)),
    dict(type='PackSegInputs')
]
voc_seg_folders = dict(
    img_path='JPEGImages', seg_map_path='SegmentationClass')
# merged into voc07_12_frskd.py's dicts (their pipeline replaced)
dataset_voc07_trainval = dict(pipeline=train_pipeline)
dataset_voc12_trainval = dict(pipeline=train_pipeline)
train_dataloader = dict(
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='PascalVOCDataset',
                data_root='data/VOCdevkit/VOC2007',
                data_prefix=voc_seg_folders,
                ann_file='ImageSets/Segmentation/trainval.txt',
                pipeline=train_pipeline),
            dict(
                type='PascalVOCDataset',
                data_root='data/VOCdevkit/VOC2012',
                data_prefix=voc_seg_folders,
                ann_file='ImageSets/Segmentation/trainval.txt',
                pipeline=train_pipeline)
        ]))

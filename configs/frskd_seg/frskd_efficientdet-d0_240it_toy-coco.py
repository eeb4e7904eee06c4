# Toy FRSKD on the toy shapes written as COCO-format JSON (polygons, RLE,
# crowd regions, overlaps, non-contiguous category ids):
#   python tools/dataset_converters/make_toy_coco.py data/toy_coco
# Same model and schedule as frskd_seg/frskd_efficientdet-d0_240it_toy.py; SELFKD_TOY_COCO=/path
# overrides the data location.
_base_ = './frskd_efficientdet-d0_240it_toy.py'
data_root = '{{$SELFKD_TOY_COCO:data/toy_coco}}'
toy_coco_dataset = dict(
    type='COCOSemanticDataset',
    data_root=data_root,
    data_prefix=dict(img_path='images'))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        ann_file='annotations/train.json',
        pipeline={{_base_.train_pipeline}},
        **toy_coco_dataset))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        ann_file='annotations/val.json',
        pipeline={{_base_.test_pipeline}},
        **toy_coco_dataset))
test_dataloader = val_dataloader
custom_hooks = [
    dict(type='DatasetModelCheckHook'),
    # 2/3 warm-up, 1/3 ramp of max_iters
    dict(type='DistillWeightScheduleHook', by_epoch=False)
]

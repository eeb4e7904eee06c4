# The d0 baseline on your own COCO-format data
# (configs/_base_/datasets/coco_semantic.py; docs/custom_dataset.md).
# Set num_classes to 1 + the number of categories in your JSON: the
# DatasetModelCheckHook stops the run before training if it differs.
_base_ = [
    '../_base_/models/efficientdet_d0_seg.py',
    '../_base_/datasets/coco_semantic.py',
    '../_base_/schedules/frskd_seg_60e.py',
    '../_base_/seg_runtime.py',
]
num_classes = 5  # background + 4 categories: CHANGE for your data
model = dict(decode_head=dict(num_classes=num_classes))
# batch 8 x 4 accumulated steps = FRSKD's effective batch of 32
optim_wrapper = dict(accumulative_counts=4)
custom_hooks = [dict(type='DatasetModelCheckHook')]

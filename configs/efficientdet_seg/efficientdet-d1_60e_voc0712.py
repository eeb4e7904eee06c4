# Baseline of FRSKD Table 4: EfficientDet-d1-style segmentation (B1, 3 BiFPN
# layers of width 88). Paper: 81.95 mIoU (VOC07 test, 512x512 eval).
_base_ = [
    '../_base_/models/efficientdet_d1_seg.py',
    '../_base_/datasets/voc07_12_frskd.py',
    '../_base_/schedules/frskd_seg_60e.py',
    '../_base_/seg_runtime.py',
]
log_processor = dict(by_epoch=True)  # the schedule counts epochs

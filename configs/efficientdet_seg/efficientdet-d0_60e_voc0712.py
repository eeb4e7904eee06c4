# Baseline of FRSKD Table 4: EfficientDet-d0-style segmentation (B0, 3 BiFPN
# layers of width 64, P2..P7), VOC2007+2012 seg trainval -> VOC2007 seg test,
# FRSKD's 60-epoch schedule. Paper: 79.07 mIoU (VOC07 test, 512x512 eval).
_base_ = [
    '../_base_/models/efficientdet_d0_seg.py',
    '../_base_/datasets/voc07_12_frskd.py',
    '../_base_/schedules/frskd_seg_60e.py',
    '../_base_/seg_runtime.py',
]
log_processor = dict(by_epoch=True)  # the schedule counts epochs

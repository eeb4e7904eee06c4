# Baseline of FRSKD Table 4 on the authors' own network with EfficientNet-B1
# (width 88, 3 BiFPN layers; see _base_/models/frskd_official_d1_seg.py).
# Paper: 81.95 mIoU (VOC07 test, 512x512 eval: the _eval512 config).
_base_ = [
    '../_base_/models/frskd_official_d1_seg.py',
    '../_base_/datasets/voc07_12_frskd_official.py',
    '../_base_/schedules/frskd_seg_60e.py',
    '../_base_/seg_runtime.py',
]
log_processor = dict(by_epoch=True)  # the schedule counts epochs
# The head reads P2 only, so the last BiFPN layer's bottom-up nodes (P3..P7)
# get no gradient: DDP must be told, or it waits forever for them.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# Baseline: mmseg's own DeepLabV3+ R50-D8 (VOC12aug, 20k iterations), a CNN
# whose decoder reads one deep level (ASPP on C5) plus the C2 skip. Unchanged
# but for where the ImageNet weights come from: mmseg's URL by default, a
# local file with SELFKD_PRETRAINED=/path/resnet50_v1c.pth (no download).
_base_ = [
    'mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py'
]
model = dict(pretrained='{{$SELFKD_PRETRAINED:open-mmlab://resnet50_v1c}}')

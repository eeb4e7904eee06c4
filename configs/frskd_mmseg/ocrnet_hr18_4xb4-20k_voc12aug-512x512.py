# Baseline: mmseg's own OCRNet HRNetV2-W18 (VOC12aug, 20k iterations), a
# cascade of two decode heads (CascadeEncoderDecoder): an FCN head of soft
# object regions on the 4 HRNet levels, then the OCR head. Unchanged but for
# where the ImageNet weights come from: mmseg's URL by default, a local file
# with SELFKD_PRETRAINED=/path/hrnetv2_w18.pth (no download).
_base_ = ['mmseg::ocrnet/ocrnet_hr18_4xb4-20k_voc12aug-512x512.py']
model = dict(pretrained='{{$SELFKD_PRETRAINED:open-mmlab://msra/hrnetv2_w18}}')

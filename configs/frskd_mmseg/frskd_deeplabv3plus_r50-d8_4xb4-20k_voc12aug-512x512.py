# FRSKD on mmseg's DeepLabV3+ R50-D8 (docs/frskd_any_mmseg_model.md): the
# student is the unchanged baseline model; the self-teacher (training only)
# projects C2..C5 to 128 channels, refines them with 2 BiFPN layers and
# predicts with a copy of the student's ASPP head. Loss: CE(student) +
# CE(self-teacher) + 1 * pixel KD (T 1) + 50 * AT on the 4 levels, the
# distillation weights 0 for 2/3 of training, then ramped (FRSKD seg).
_base_ = [
    './deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py',
    '../_base_/models/frskd_mmseg.py'
]
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(in_index=(0, 1, 2, 3), channels=128))
custom_hooks = _base_.pop('frskd_mmseg_hooks')
log_processor = _base_.pop('frskd_mmseg_log_processor')

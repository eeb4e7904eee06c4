# FRSKD on mmseg's SegFormer MiT-b0 (docs/frskd_any_mmseg_model.md): the
# self-teacher projects the 4 MiT levels to 64 channels, refines them with 2
# BiFPN layers and predicts with a copy of the all-MLP head; pixel KD + AT on
# the 4 levels, weights 0 for 2/3 of training, then ramped.
_base_ = [
    './segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
    '../_base_/models/frskd_mmseg.py'
]
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
model = dict(
    type='FRSKDEncoderDecoder',
    self_teacher=dict(in_index=(0, 1, 2, 3), channels=64))
custom_hooks = _base_.pop('frskd_mmseg_hooks')
log_processor = _base_.pop('frskd_mmseg_log_processor')

# FRSKD + val-lead gate (beyond the paper): see the DeepLabV3+ variant.
_base_ = ['./frskd_bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py']
model = dict(
    gate=dict(pixel='teacher_correct', lead_source='val', lead_margin=1.0))

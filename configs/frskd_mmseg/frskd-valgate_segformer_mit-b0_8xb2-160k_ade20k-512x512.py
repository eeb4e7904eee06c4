# FRSKD + val-lead gate (beyond the paper): see the DeepLabV3+ variant.
_base_ = ['./frskd_segformer_mit-b0_8xb2-160k_ade20k-512x512.py']
model = dict(
    gate=dict(pixel='teacher_correct', lead_source='val', lead_margin=1.0))

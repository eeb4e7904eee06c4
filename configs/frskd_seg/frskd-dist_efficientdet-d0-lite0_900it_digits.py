# FRSKD with DIST as its soft-label term instead of the pixel KL, in the
# paper's regime on the digits scenes (ImageNet EfficientNet-Lite0,
# docs/cwd_dist.md): frskd_efficientdet-d0-lite0_900it_digits.py with
# distill.kd_loss DIST on the logits of the student and the self-teacher
# (the authors' defaults: beta 1, gamma 1, tau 1; alpha 1) and FRSKD's AT
# term (beta 50) unchanged, both ramped by FRSKD's schedule. DIST's beta
# (the inter-class weight) is not FRSKD's distill.beta.
_base_ = ['./frskd_efficientdet-d0-lite0_900it_digits.py']
model = dict(
    distill=dict(alpha=1.0, kd_loss=dict(_delete_=True, type='DISTLoss')))

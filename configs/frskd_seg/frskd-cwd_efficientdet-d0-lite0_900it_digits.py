# FRSKD with CWD as its soft-label term instead of the pixel KL, in the
# paper's regime on the digits scenes (ImageNet EfficientNet-Lite0,
# docs/cwd_dist.md): frskd_efficientdet-d0-lite0_900it_digits.py with
# distill.kd_loss CWD on the logits of the student and the self-teacher
# (tau 4; alpha 3, CWD's logit weight) and FRSKD's AT term (beta 50)
# unchanged, both ramped by FRSKD's schedule.
_base_ = ['./frskd_efficientdet-d0-lite0_900it_digits.py']
model = dict(
    distill=dict(
        alpha=3.0, kd_loss=dict(_delete_=True, type='CWDLoss', tau=4.0)))

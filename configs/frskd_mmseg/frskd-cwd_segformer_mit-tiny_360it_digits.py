# FRSKD's self-teacher with CWD as its soft-label term instead of the pixel
# KL, on the digits scenes (docs/cwd_dist.md): frskd_segformer_mit-tiny_
# 360it_digits.py with distill.kd_loss CWD on the logits of the student and
# the self-teacher (tau 4; alpha 3, CWD's logit weight) and FRSKD's AT term
# (beta 50) unchanged, both ramped by FRSKD's schedule.
_base_ = ['../frskd_mmseg/frskd_segformer_mit-tiny_360it_digits.py']
model = dict(distill=dict(alpha=3.0, kd_loss=dict(type='CWDLoss', tau=4.0)))

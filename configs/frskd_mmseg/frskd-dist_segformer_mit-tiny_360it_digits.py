# FRSKD's self-teacher with DIST as its soft-label term instead of the pixel
# KL, on the digits scenes (docs/cwd_dist.md): frskd_segformer_mit-tiny_
# 360it_digits.py with distill.kd_loss DIST on the logits of the student and
# the self-teacher (the authors' defaults: beta 1, gamma 1, tau 1; alpha 1)
# and FRSKD's AT term (beta 50) unchanged, both ramped by FRSKD's schedule.
# DIST's beta (the inter-class weight) is not FRSKD's distill.beta.
_base_ = ['../frskd_mmseg/frskd_segformer_mit-tiny_360it_digits.py']
model = dict(distill=dict(alpha=1.0, kd_loss=dict(type='DISTLoss')))

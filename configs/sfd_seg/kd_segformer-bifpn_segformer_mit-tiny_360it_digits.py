# Pixel KD (Hinton's KL, T 1, weight 1, every labelled pixel at the label
# resolution) from the larger segformer-bifpn_mit-tiny_360it_digits.py
# teacher into segformer_mit-tiny_360it_digits.py: the logit-only baseline
# of the teacher-student table (issue 32, docs/cwd_dist.md); no feature
# term, no integrator.
_base_ = ['./sfd_segformer-bifpn_segformer_mit-tiny_360it_digits.py']
model = dict(
    integrator=None,
    distill=dict(
        loss=None,
        margin=None,
        kd=dict(type='KDLoss', temperature=1.0, loss_weight=1.0)))

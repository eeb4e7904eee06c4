# SFD's feature term (sfd_segformer-bifpn_segformer_mit-tiny_360it_digits.py)
# plus DIST's logit term (weight 1) in one model (issue 32,
# docs/cwd_dist.md).
_base_ = ['./sfd_segformer-bifpn_segformer_mit-tiny_360it_digits.py']
model = dict(distill=dict(kd=dict(type='DISTLoss', loss_weight=1.0)))

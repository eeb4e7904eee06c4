# SFD's feature term (sfd_segformer-bifpn_segformer_mit-tiny_360it_digits.py)
# plus CWD's logit term (tau 4, weight 3) in one model (issue 32,
# docs/cwd_dist.md).
_base_ = ['./sfd_segformer-bifpn_segformer_mit-tiny_360it_digits.py']
model = dict(distill=dict(kd=dict(type='CWDLoss', tau=4.0, loss_weight=3.0)))

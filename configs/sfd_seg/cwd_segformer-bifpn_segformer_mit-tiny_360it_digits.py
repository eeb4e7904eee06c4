# CWD on the logits (the paper's logit recipe: tau 4, weight 3, the
# decoders' 1/4 logits as they are, every position) from the larger
# segformer-bifpn_mit-tiny_360it_digits.py teacher into
# segformer_mit-tiny_360it_digits.py (issue 32, docs/cwd_dist.md); no
# feature term.
_base_ = ['./kd_segformer-bifpn_segformer_mit-tiny_360it_digits.py']
model = dict(
    distill=dict(
        kd=dict(_delete_=True, type='CWDLoss', tau=4.0, loss_weight=3.0)))

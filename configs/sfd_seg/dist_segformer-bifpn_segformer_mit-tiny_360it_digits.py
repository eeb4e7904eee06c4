# DIST on the logits (the authors' segmentation recipe: beta 1, gamma 1,
# tau 1, weight 1, every pixel of the decoder's logits a sample) from the
# larger segformer-bifpn_mit-tiny_360it_digits.py teacher into
# segformer_mit-tiny_360it_digits.py (issue 32, docs/cwd_dist.md); no
# feature term. (The authors add 0.4 x DIST on the auxiliary head's logits;
# SegFormer has no auxiliary head.)
_base_ = ['./kd_segformer-bifpn_segformer_mit-tiny_360it_digits.py']
model = dict(
    distill=dict(kd=dict(_delete_=True, type='DISTLoss', loss_weight=1.0)))

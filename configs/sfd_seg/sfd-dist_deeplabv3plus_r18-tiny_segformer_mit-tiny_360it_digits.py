# SFD's feature term and DIST's logit term in one model, on the digits
# scenes (docs/cwd_dist.md): the SFD pair
# sfd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py (student
# SegFormer MiT-tiny, frozen teacher DeepLabV3+ R18-tiny from
# SELFKD_DIGITS_TEACHER; receptive-field integration + Overhaul margin loss,
# weight 3) plus DIST on the logits (the authors' defaults: beta 1,
# gamma 1, tau 1, weight 1).
_base_ = [
    '../sfd_seg/sfd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py'
]
model = dict(distill=dict(kd=dict(type='DISTLoss', loss_weight=1.0)))

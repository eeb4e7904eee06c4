# SFD's feature term and CWD's logit term in one model, on the digits
# scenes (docs/cwd_dist.md): the SFD pair
# sfd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py (student
# SegFormer MiT-tiny, frozen teacher DeepLabV3+ R18-tiny from
# SELFKD_DIGITS_TEACHER; receptive-field integration + Overhaul margin loss,
# weight 3) plus CWD on the logits (tau 4, weight 3, the CWD paper's logit
# recipe; both models' logits are 1/4).
_base_ = [
    '../sfd_seg/sfd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py'
]
model = dict(distill=dict(kd=dict(type='CWDLoss', tau=4.0, loss_weight=3.0)))

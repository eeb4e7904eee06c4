# FRSKD\F on d1: soft labels only (no feature distillation, beta 0).
_base_ = './frskd_efficientdet-d1_60e_voc0712.py'
model = dict(distill=dict(beta=0.0))

# FRSKD\F on d1: soft labels only (no feature distillation, beta 0).
_base_ = './frskd_efficientdet_d1_voc07_12_60e.py'
model = dict(distill=dict(beta=0.0))

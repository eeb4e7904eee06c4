# FRSKD classification smoke test on a generated image folder (4 classes of
# 32x32 coloured shapes):
#   python -m selfkd_research.synthetic_data.toy_cls data/toy_cls
#   python tools/train.py configs/frskd_cls/frskd_wrn-10-1_4e_toy.py
# The plain toy of wrn-10-1_4e_toy.py (a 10-layer WRN, 3 stages of 16/32/64
# channels; data, schedule) with the BiFPNc self-teacher of
# _base_/models/frskd_cls_bifpnc.py, FRSKD's CIFAR alpha 2 and beta 100.
_base_ = ['./wrn-10-1_4e_toy.py', '../_base_/models/frskd_cls_bifpnc.py']
model = _base_.pop('frskd_cls_model')
model.distill.update(alpha=2.0, beta=100.0)

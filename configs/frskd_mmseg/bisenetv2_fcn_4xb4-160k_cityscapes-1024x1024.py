# Baseline: mmseg's own BiSeNetV2 (Cityscapes, 160k iterations, from
# scratch as in mmseg), a real-time two-branch model: its FCN head reads the
# 1/8 aggregated feature, four auxiliary heads the semantic branch.
_base_ = ['mmseg::bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py']

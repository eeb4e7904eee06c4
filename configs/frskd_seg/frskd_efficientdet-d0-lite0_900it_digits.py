# FRSKD (the paper's method and weights, _base_/models/
# frskd_seg_efficientdet.py) on efficientdet-d0-lite0_900it_digits.py: 2 more BiFPN layers as
# the self-teacher, alpha 1 (pixel KD, T 1), beta 50 (AT on post-ReLU maps
# of all 6 levels); weights 0 for the first 2/3 of training (the high-lr
# phase), then exp(-5(1-t)^2) up to full weight in the last iteration.
# KD only: --cfg-options model.distill.beta=0.0.
_base_ = [
    '../efficientdet_seg/efficientdet-d0-lite0_900it_digits.py',
    '../_base_/models/frskd_seg_efficientdet.py'
]
model = _base_.pop('frskd_seg_model')
custom_hooks = _base_.pop('frskd_seg_hooks')

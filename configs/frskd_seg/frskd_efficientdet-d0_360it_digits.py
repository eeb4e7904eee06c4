# FRSKD on the digits scenes: the baseline of efficientdet-d0_360it_digits.py plus
# FRSKD's terms (_base_/models/frskd_seg_efficientdet.py): 2 more BiFPN
# layers as the self-teacher (last layer top-down, own head), alpha 1 (pixel
# KD, T 1), beta 50 (AT on post-ReLU maps of all 6 levels), distillation
# weights 0 for the first 2/3 (240 of 360 iterations), then ramped.
# tools/digits_experiment.py rescales warmup/ramp with max_iters.
_base_ = [
    '../efficientdet_seg/efficientdet-d0_360it_digits.py',
    '../_base_/models/frskd_seg_efficientdet.py'
]
model = _base_.pop('frskd_seg_model')
custom_hooks = _base_.pop('frskd_seg_hooks')
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=False)

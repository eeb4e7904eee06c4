# The network of efficientdet_d1_seg.py as an SFD teacher: the model the
# teacher checkpoint was trained with (configs/efficientdet_seg/
# efficientdet-d1_60e_voc0712.py; the checkpoint is loaded strictly), less
# what only training it needs: pretrained=None (the ImageNet weights are in
# the checkpoint) and no data preprocessor (the student's feeds both).
#
# It only defines `efficientdet_d1_seg_teacher`: the student config an SFD
# config starts from defines `model`, `norm_cfg`, ... too, and mmengine
# refuses a key that two bases define. An SFD config lists both:
#
#   _base_ = ['<student config>.py',
#             '../_base_/models/efficientdet_d1_seg_teacher.py']
#   model = dict(
#       type='SFDSegmentor',
#       teacher=_base_.pop('efficientdet_d1_seg_teacher'),  # pop: not left
#       ...)                                                # in the config
_base_ = './efficientdet_d1_seg.py'
efficientdet_d1_seg_teacher = _base_.pop('model')
efficientdet_d1_seg_teacher.pop('data_preprocessor')
efficientdet_d1_seg_teacher.pop('pretrained')
efficientdet_d1_seg_teacher.backbone.pretrained = None
# the rest of efficientdet_d1_seg.py (norm_cfg, data_preprocessor,
# bifpn_channels, model_wrapper_cfg) belongs to the student's config
_base_.clear()

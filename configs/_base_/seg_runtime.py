# mmseg's runtime plus selfkd_seg's registrations. Every selfkd_seg
# segmentation config inherits this, so plain mmseg tools can run them too.
_base_ = ['mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
default_scope = 'mmseg'
# DDP: mmengine's default find_unused_parameters=False (every parameter
# gets a gradient each step). A model with parameters that never train sets
# model_wrapper_cfg itself (the EfficientDet base models do; not here, as two
# _base_ files may not define the same key).
# Window means (not the last batch) in the logs and scalars.json for the
# FRSKD lead keys too (self_teacher.ce_lead, gate.factor, gate.kd_kept), not
# only for the losses and times (mmengine's default mean_pattern).
log_processor = dict(
    by_epoch=False,
    mean_pattern=r'.*(loss|time|data_time|grad_norm|ce_lead|gate\.).*')

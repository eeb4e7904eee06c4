# mmseg's runtime plus selfkd_seg's registrations. Every selfkd_seg
# segmentation config inherits this, so plain mmseg tools can run them too.
_base_ = ['mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['selfkd_seg'], allow_failed_imports=False)
default_scope = 'mmseg'

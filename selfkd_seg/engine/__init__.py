from . import hooks  # noqa: F401
from .fast_path import FastPathHook, apply_fast_path
from .checkpoint_io import (DiskFullError, find_resumable_checkpoint,
                            install_atomic_local_backend,
                            is_complete_checkpoint)
from .optim_wrappers import AutocastOptimWrapper, amp_optim_wrapper_cfg
from .student_loading import install_student_checkpoint_loading

# checkpoints (and every other mmengine write to a local path) are written
# to a temporary file and renamed: a kill never leaves a truncated file
install_atomic_local_backend()
# a training checkpoint loads into the plain student with one line, not a
# warning per training-only key
install_student_checkpoint_loading()

__all__ = [
    'AutocastOptimWrapper', 'DiskFullError', 'FastPathHook',
    'amp_optim_wrapper_cfg', 'apply_fast_path',
    'find_resumable_checkpoint', 'is_complete_checkpoint'
]

from . import hooks  # noqa: F401
from .checkpoint_io import (DiskFullError, find_resumable_checkpoint,
                            install_atomic_local_backend,
                            is_complete_checkpoint)
from .fast_path import FastPathHook, apply_fast_path
from .optim_wrappers import AutocastOptimWrapper, amp_optim_wrapper_cfg

# checkpoints (and every other mmengine write to a local path) are written
# to a temporary file and renamed: a kill never leaves a truncated file
install_atomic_local_backend()

__all__ = [
    'AutocastOptimWrapper', 'DiskFullError', 'FastPathHook',
    'amp_optim_wrapper_cfg', 'apply_fast_path', 'find_resumable_checkpoint',
    'is_complete_checkpoint'
]

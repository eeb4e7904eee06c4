from . import hooks  # noqa: F401
from .optim_wrappers import AutocastOptimWrapper, amp_optim_wrapper_cfg

__all__ = ['AutocastOptimWrapper', 'amp_optim_wrapper_cfg']

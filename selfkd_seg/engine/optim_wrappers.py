"""Mixed precision on any device.

mmengine's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU and always creates a
``GradScaler``.  On CPU there is nothing to scale: bfloat16 keeps float32's
exponent range, so plain autocast is enough.  ``AutocastOptimWrapper`` is
``OptimWrapper`` whose forward context is ``torch.autocast``; ``tools/train.py
--amp`` picks it when no accelerator is present and ``AmpOptimWrapper``
(float16 + dynamic loss scaling) otherwise.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Optimizer wrapper running the forward pass under ``torch.autocast``.

    Args:
        device_type (str): 'cpu' or 'cuda'. Defaults to 'cpu'.
        dtype (str): 'bfloat16' (default) or 'float16'. float16 without loss
            scaling may underflow: on GPU use mmengine's ``AmpOptimWrapper``.
        **kwargs: Passed to :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, device_type: str = 'cpu', dtype: str = 'bfloat16',
                 **kwargs):
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError("AutocastOptimWrapper dtype must be 'bfloat16' "
                             f"or 'float16', got {dtype!r}")
        self.device_type = device_type
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                device_type=self.device_type, dtype=self.cast_dtype):
            yield


def amp_optim_wrapper_cfg(optim_wrapper: dict) -> dict:
    """Turn a plain ``OptimWrapper`` config into a mixed-precision one."""
    kind = optim_wrapper.get('type', 'OptimWrapper')
    if kind in ('AmpOptimWrapper', 'AutocastOptimWrapper'):
        return optim_wrapper
    if kind != 'OptimWrapper':
        raise ValueError('--amp only converts optim_wrapper.type '
                         f"'OptimWrapper', the config has {kind!r}")
    optim_wrapper = dict(optim_wrapper)
    if torch.cuda.is_available():
        optim_wrapper.update(type='AmpOptimWrapper', loss_scale='dynamic')
    else:
        optim_wrapper.update(
            type='AutocastOptimWrapper', device_type='cpu', dtype='bfloat16')
    return optim_wrapper

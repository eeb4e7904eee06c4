"""Mixed precision on any device.

mmengine's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU and always creates a
``GradScaler``.  On CPU there is nothing to scale: bfloat16 keeps float32's
exponent range, so plain autocast is enough.  ``AutocastOptimWrapper`` is
``OptimWrapper`` whose forward context is ``torch.autocast``.  On GPUs with
bfloat16 it is also the right wrapper: no ``GradScaler``, hence no
inf/NaN check (a GPU synchronisation) per step.  ``tools/train.py --amp``
picks it for bfloat16 (CPU, and GPUs from Ampere on) and mmengine's
``AmpOptimWrapper`` (float16 + dynamic loss scaling) for ``--amp fp16`` on a
GPU (and for older GPUs without bfloat16).
"""
from contextlib import contextmanager
from typing import Optional

import torch
from mmengine.optim import OptimWrapper

from selfkd_seg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Optimizer wrapper running the forward pass under ``torch.autocast``.

    Args:
        device_type (str): 'cpu' or 'cuda'. Defaults to 'cpu'.
        dtype (str): 'bfloat16' (default) or 'float16'. float16 without loss
            scaling may underflow: on GPU use mmengine's ``AmpOptimWrapper``.
        **kwargs: Passed to :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 device_type: str = 'cpu',
                 dtype: str = 'bfloat16',
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


AMP_DTYPES = dict(bf16='bfloat16', fp16='float16')


def default_amp_dtype() -> str:
    """``'bf16'`` on CPU and on GPUs with bfloat16 (Ampere and newer),
    ``'fp16'`` on older GPUs."""
    if torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return 'fp16'
    return 'bf16'


def amp_optim_wrapper_cfg(optim_wrapper: dict,
                          dtype: Optional[str] = None) -> dict:
    """Turn a plain ``OptimWrapper`` config into a mixed-precision one.

    ``dtype``: ``'bf16'``, ``'fp16'`` or None/``'auto'``
    (:func:`default_amp_dtype`).

    - bf16 (CPU or GPU): :class:`AutocastOptimWrapper`, autocast only.
      bfloat16 has float32's exponent range, so there is nothing to scale;
      mmengine's ``AmpOptimWrapper`` would add a ``GradScaler`` whose
      inf/NaN check synchronises with the GPU every step.
    - fp16 (GPU only): mmengine's ``AmpOptimWrapper`` with dynamic loss
      scaling (float16 gradients underflow without it).
    """
    kind = optim_wrapper.get('type', 'OptimWrapper')
    if kind in ('AmpOptimWrapper', 'AutocastOptimWrapper'):
        return optim_wrapper
    if kind != 'OptimWrapper':
        raise ValueError('--amp only converts optim_wrapper.type '
                         f"'OptimWrapper', the config has {kind!r}")
    if dtype in (None, 'auto'):
        dtype = default_amp_dtype()
    if dtype not in AMP_DTYPES:
        raise ValueError(f"--amp dtype must be one of {sorted(AMP_DTYPES)} "
                         f"or 'auto', got {dtype!r}")
    optim_wrapper = dict(optim_wrapper)
    cuda = torch.cuda.is_available()
    if dtype == 'fp16':
        if not cuda:
            raise ValueError('--amp fp16 needs a GPU (float16 training '
                             'needs loss scaling); on CPU use --amp bf16')
        optim_wrapper.update(
            type='AmpOptimWrapper', loss_scale='dynamic', dtype='float16')
    else:
        optim_wrapper.update(
            type='AutocastOptimWrapper',
            device_type='cuda' if cuda else 'cpu',
            dtype='bfloat16')
    return optim_wrapper

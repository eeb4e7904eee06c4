"""Small blocks shared by every BiFPN in the project.

The EfficientDet BiFPN (segmentation) and the FRSKD self-teachers (BiFPN /
BiFPNc for classification) fuse feature maps the same way: fast normalized
fusion, TF-"same" max-pool downsampling and a resize that lands exactly on the
target level's size (levels of odd-sized inputs are not exact halves).
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer


def build_activation(act_cfg: dict) -> nn.Module:
    """mmcv's ``build_activation_layer``, but swish is ``nn.SiLU``.

    mmcv's ``Swish`` computes ``x * sigmoid(x)``: two kernels forward, three
    backward, and autograd keeps both ``x`` and ``sigmoid(x)``. ``nn.SiLU``
    is the same function in one kernel each way and keeps only ``x``. No
    parameters either way, so checkpoints are unaffected.
    """
    if act_cfg is not None and act_cfg.get('type') in ('Swish', 'SiLU'):
        return nn.SiLU(inplace=bool(act_cfg.get('inplace', False)))
    return build_activation_layer(act_cfg)


class FastNormalizedFusion(nn.Module):
    """Fast normalized fusion of EfficientDet: ``sum_i w_i x_i / (sum w +
    eps)``.

    Weights start at 1 and pass through ReLU, so they stay non-negative and
    the normalized weights sum to (almost) one.

    Args:
        num_inputs (int): Number of feature maps fused.
        eps (float): Added to the weight sum. EfficientDet uses 1e-4, the
            FRSKD code 1e-6.
    """

    def __init__(self, num_inputs: int, eps: float = 1e-4):
        super().__init__()
        if num_inputs < 1:
            raise ValueError(f'num_inputs must be >= 1, got {num_inputs}')
        self.num_inputs = num_inputs
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_inputs))

    def normalized_weights(self) -> torch.Tensor:
        w = F.relu(self.weight)
        return w / (w.sum() + self.eps)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(inputs) != self.num_inputs:
            raise ValueError(f'expected {self.num_inputs} inputs to fuse, got '
                             f'{len(inputs)}')
        w = self.normalized_weights()
        out = inputs[0] * w[0]
        for i in range(1, self.num_inputs):
            out = out + inputs[i] * w[i]
        return out

    def extra_repr(self) -> str:
        return f'num_inputs={self.num_inputs}, eps={self.eps}'


def is_tracing() -> bool:
    """True while ``torch.jit`` traces (the ONNX exporter): the size
    arithmetic below then keeps sizes as graph tensors."""
    return torch.jit.is_tracing()


def same_pads(x: torch.Tensor,
              kernel: Sequence[int],
              stride: Sequence[int],
              dilation: Sequence[int] = (1, 1)) -> list:
    """TF "same" padding (output = ceil(in / stride)) of ``x`` in ``F.pad``
    order (left, right, top, bottom).

    Integer arithmetic only: while tracing (ONNX export) the sizes are
    tensors, so the padding stays dynamic in the graph instead of being frozen
    at the traced input size.
    """
    pads = []
    for dim, k, s, d in ((-1, kernel[1], stride[1], dilation[1]),
                         (-2, kernel[0], stride[0], dilation[0])):
        size = x.shape[dim]
        total = ((size + s - 1) // s - 1) * s + (k - 1) * d + 1 - size
        total = (
            total.clamp(min=0) if torch.is_tensor(total) else max(total, 0))
        pads += [total // 2, total - total // 2]
    return pads


class MaxPool2dSame(nn.Module):
    """Max-pool with TensorFlow "SAME" padding (output = ceil(input / stride)).

    Padding is computed from the input size at run time, so any input size
    works; padded cells never win the max (padded with -inf).
    """

    def __init__(self, kernel_size: int = 3, stride: int = 2):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = same_pads(x, (self.kernel_size, ) * 2, (self.stride, ) * 2)
        if is_tracing() or any(pads):  # traced: sizes are tensors
            x = F.pad(x, pads, value=float('-inf'))
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f'kernel_size={self.kernel_size}, stride={self.stride}'


def resize_to(x: torch.Tensor, size, mode: str = 'nearest') -> torch.Tensor:
    """Resize ``x`` to spatial ``size`` (no-op when it already matches).

    While tracing it always resizes, to ``size`` as given (tensors read from
    the graph), so an exported graph takes any input size; with equal sizes
    that is an exact identity for nearest and for bilinear without
    ``align_corners``.
    """
    if not is_tracing():
        size = tuple(int(s) for s in size)
        if tuple(x.shape[-2:]) == size:
            return x
    if mode == 'nearest':
        return F.interpolate(x, size=size, mode='nearest')
    return F.interpolate(x, size=size, mode=mode, align_corners=False)

"""Shared plumbing of the SFD feature integrators."""
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule


class BaseIntegrator(BaseModule):
    """Base class: maps student stage features to the teacher's (c, h, w).

    `Self-boosting for Feature Distillation (Pei, Qu and Zhang, IJCAI 2022)
    <https://www.ijcai.org/proceedings/2022/0131.pdf>`_, section 3.1.
    ``forward(feats, out_size)`` receives the student stages listed in
    ``in_channels`` (shallow to deep) and returns a ``(B, c, h, w)`` feature
    with ``c = out_channels`` and ``(h, w) = out_size``.  A subclass uses the
    last ``num_inputs`` of them: the paper takes "the last three stages if the
    student has more than three" (LI, AI) or only the last stage (RI), so the
    distiller may pass every stage and the integrator picks what it needs.

    Rescale (our reading of "a simple downsampling (if larger) or upsampling
    (if smaller)"): bilinear interpolation (``align_corners=False``) to
    enlarge;
    to shrink, adaptive average pooling by default (every input pixel
    contributes; for an integer factor it is exactly the k x k mean), or
    bilinear with ``downsample='bilinear'``.  A map larger in one axis and
    smaller in the other is resized bilinearly.

    Args:
        in_channels (int | Sequence[int]): Channels of the student features
            passed to ``forward``, shallow to deep.
        out_channels (int): Channels ``c`` of the teacher feature.
        downsample (str): ``'avg_pool'`` or ``'bilinear'``. Default: avg_pool.
        init_cfg (dict, optional): Initialization config.
    """

    #: how many of the last student stages the integrator uses
    num_inputs = 1

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 out_channels: int,
                 downsample: str = 'avg_pool',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        in_channels = [in_channels] if isinstance(in_channels, int) \
            else list(in_channels)
        if not in_channels or not all(
                isinstance(c, int) and c > 0 for c in in_channels):
            raise ValueError(f'{name}: in_channels must be positive ints, got '
                             f'{in_channels}')
        if len(in_channels) < self.num_inputs:
            raise ValueError(
                f'{name} integrates the last {self.num_inputs} student '
                f'stage(s) but in_channels lists {len(in_channels)}: '
                f'{in_channels}')
        if not isinstance(out_channels, int) or out_channels <= 0:
            raise ValueError(f'{name}: out_channels must be a positive int, '
                             f'got {out_channels}')
        if downsample not in ('avg_pool', 'bilinear'):
            raise ValueError(f"{name}: downsample must be 'avg_pool' or "
                             f"'bilinear', got {downsample!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.downsample = downsample

    @property
    def used_channels(self) -> List[int]:
        """Channels of the stages this integrator actually consumes."""
        return self.in_channels[-self.num_inputs:]

    def _check_divisible(self, divisor: int, why: str) -> None:
        if self.out_channels % divisor:
            raise ValueError(
                f'{type(self).__name__}: out_channels={self.out_channels} '
                f'must be divisible by {divisor} ({why})')

    def select_inputs(self,
                      feats: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Validate ``feats`` against ``in_channels``; return the used ones."""
        name = type(self).__name__
        if torch.is_tensor(feats):
            feats = [feats]
        if len(feats) != len(self.in_channels):
            raise ValueError(
                f'{name} was built for {len(self.in_channels)} student '
                f'feature(s) with channels {self.in_channels}, got '
                f'{len(feats)}')
        for i, (feat, ch) in enumerate(zip(feats, self.in_channels)):
            if feat.dim() != 4 or feat.shape[1] != ch:
                raise ValueError(
                    f'{name}: student feature {i} should be (B, {ch}, H, W), '
                    f'got {tuple(feat.shape)}')
        return list(feats[-self.num_inputs:])

    def rescale(self, x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        """Resize ``x`` to ``size`` (see the class docstring for the rule)."""
        size = tuple(int(s) for s in size)
        h, w = x.shape[-2:]
        if (h, w) == size:
            return x
        if self.downsample == 'avg_pool' and h >= size[0] and w >= size[1]:
            return F.adaptive_avg_pool2d(x, size)
        return F.interpolate(
            x, size=size, mode='bilinear', align_corners=False)

    @staticmethod
    def _check_out_size(out_size) -> Tuple[int, int]:
        if len(out_size) != 2 or min(out_size) < 1:
            raise ValueError(f'out_size must be (h, w) >= 1, got {out_size}')
        return int(out_size[0]), int(out_size[1])

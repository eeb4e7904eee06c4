"""Receptive-field Integration (RI) of SFD, the paper's final choice."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule

from selfkd_seg.registry import MODELS
from .base_integrator import BaseIntegrator


@MODELS.register_module()
class ReceptiveFieldIntegration(BaseIntegrator):
    """Receptive-field Integration: pyramid pooling of the last stage (eq. 4).

    `SFD <https://www.ijcai.org/proceedings/2022/0131.pdf>`_: the last student
    stage ``Z`` is rescaled to the teacher's ``h x w``; branch ``i`` average
    pools it adaptively to ``(s_i h, s_i w)`` with ``s = 1/4, 1/2, 3/4``
    (at least 1 x 1), applies a 1x1 ``c/4 -> c/4`` conv and upsamples
    bilinearly back to ``h x w``; ``Concat(Z, Z_1, Z_2, Z_3)`` is smoothed by
    a 3x3 ``c -> c`` conv and BN (no activation: the output is compared with
    the teacher's pre-ReLU feature).

    Our reading of the ``c/4 x c/4`` kernels, which only fit if ``Z`` has
    ``c/4`` channels: ``Z`` is first projected to ``c/4`` channels by a 1x1
    conv, so the concatenation has ``c`` channels.  With ``k`` pool scales
    each part has ``c / (k + 1)`` channels.

    Args:
        in_channels (int | Sequence[int]): Channels of the student features
            passed to ``forward`` (only the last is used).
        out_channels (int): Teacher channels ``c`` (divisible by
            ``len(pool_scales) + 1``).
        pool_scales (Sequence[float]): Relative sizes of the pooled branches.
            Default: (0.25, 0.5, 0.75).
        norm_cfg (dict): Norm after the smoothing conv. Default: BN.
        downsample (str): See :class:`BaseIntegrator` (rescale of ``Z``).
        init_cfg (dict, optional): Initialization config.
    """

    num_inputs = 1

    def __init__(self,
                 in_channels,
                 out_channels: int,
                 pool_scales: Sequence[float] = (0.25, 0.5, 0.75),
                 norm_cfg: dict = dict(type='BN'),
                 downsample: str = 'avg_pool',
                 init_cfg=None):
        super().__init__(in_channels, out_channels, downsample, init_cfg)
        if not pool_scales or not all(0 < s <= 1 for s in pool_scales):
            raise ValueError('pool_scales must be fractions in (0, 1], got '
                             f'{pool_scales}')
        self._check_divisible(
            len(pool_scales) + 1,
            f'RI concatenates {len(pool_scales) + 1} equal parts')
        self.pool_scales = tuple(pool_scales)
        part = out_channels // (len(pool_scales) + 1)
        self.project = nn.Conv2d(self.used_channels[0], part, 1)
        self.branch_convs = nn.ModuleList(
            nn.Conv2d(part, part, 1) for _ in pool_scales)
        self.smooth = ConvModule(
            out_channels,
            out_channels,
            3,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=None)

    def forward(self, feats: Sequence[torch.Tensor],
                out_size: Tuple[int, int]) -> torch.Tensor:
        h, w = self._check_out_size(out_size)
        z = self.project(self.rescale(self.select_inputs(feats)[0], (h, w)))
        parts = [z]
        for scale, conv in zip(self.pool_scales, self.branch_convs):
            pooled_size = (max(1, int(h * scale)), max(1, int(w * scale)))
            branch = conv(F.adaptive_avg_pool2d(z, pooled_size))
            parts.append(
                F.interpolate(
                    branch, size=(h, w), mode='bilinear', align_corners=False))
        return self.smooth(torch.cat(parts, dim=1))

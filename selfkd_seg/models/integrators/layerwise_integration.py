"""Layer-wise Integration (LI) of SFD."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule

from selfkd_seg.registry import MODELS
from .base_integrator import BaseIntegrator


@MODELS.register_module()
class LayerwiseIntegration(BaseIntegrator):
    """Layer-wise Integration: rescale, 1x1 reduce, concat, smooth (eq. 2).

    `SFD <https://www.ijcai.org/proceedings/2022/0131.pdf>`_: the last three
    student stages ``Z_l`` are rescaled to the teacher's ``h x w``, reduced by
    1x1 convs to ``c/4, c/4, c/2`` channels (the deepest stage gets ``c/2``),
    concatenated (``c``) and smoothed by a 3x3 ``c -> c`` conv followed by BN.
    The output has no activation: it is compared with the teacher's pre-ReLU
    feature.

    Args:
        in_channels (Sequence[int]): Channels of the student stages passed to
            ``forward`` (at least three; the last three are used).
        out_channels (int): Teacher channels ``c`` (divisible by 4).
        norm_cfg (dict): Norm after the smoothing conv. Default: BN.
        downsample (str): See :class:`BaseIntegrator`.
        init_cfg (dict, optional): Initialization config.
    """

    num_inputs = 3

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 norm_cfg: dict = dict(type='BN'),
                 downsample: str = 'avg_pool',
                 init_cfg=None):
        super().__init__(in_channels, out_channels, downsample, init_cfg)
        self._check_divisible(4, 'LI splits it into c/4, c/4, c/2')
        c = out_channels
        self.reduce_convs = nn.ModuleList(
            nn.Conv2d(in_ch, out_ch, 1)
            for in_ch, out_ch in zip(self.used_channels, (c // 4, c // 4,
                                                          c // 2)))
        self.smooth = ConvModule(
            c, c, 3, padding=1, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, feats: Sequence[torch.Tensor],
                out_size: Tuple[int, int]) -> torch.Tensor:
        out_size = self._check_out_size(out_size)
        feats = self.select_inputs(feats)
        z = torch.cat([
            conv(self.rescale(feat, out_size))
            for conv, feat in zip(self.reduce_convs, feats)
        ],
                      dim=1)
        return self.smooth(z)

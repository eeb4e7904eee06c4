"""1x1 conv + BN connector (Overhaul's), a feature-distillation baseline."""
from typing import Sequence, Tuple

import torch
from mmcv.cnn import ConvModule

from selfkd_seg.registry import MODELS
from .base_integrator import BaseIntegrator


@MODELS.register_module()
class ConvBNConnector(BaseIntegrator):
    """Channel alignment by a 1x1 conv and BN on the last student stage.

    The connector of Overhaul (`Heo et al., 2019
    <https://arxiv.org/abs/1904.01866>`_): the last stage is rescaled to the
    teacher's ``h x w`` and mapped linearly to ``c`` channels. It is *not*
    the "no integration" row of SFD's Table 1 (that row is the plain
    student, trained without distillation); it is Overhaul-style feature
    distillation through SFD's loss, a baseline for the integrators.

    Args:
        in_channels (int | Sequence[int]): Channels of the student features
            passed to ``forward`` (only the last is used).
        out_channels (int): Teacher channels ``c``.
        norm_cfg (dict): Norm after the conv. Default: BN.
        downsample (str): See :class:`BaseIntegrator`.
        init_cfg (dict, optional): Initialization config.
    """

    num_inputs = 1

    def __init__(self,
                 in_channels,
                 out_channels: int,
                 norm_cfg: dict = dict(type='BN'),
                 downsample: str = 'avg_pool',
                 init_cfg=None):
        super().__init__(in_channels, out_channels, downsample, init_cfg)
        self.conv = ConvModule(
            self.used_channels[0],
            out_channels,
            1,
            norm_cfg=norm_cfg,
            act_cfg=None)

    def forward(self, feats: Sequence[torch.Tensor],
                out_size: Tuple[int, int]) -> torch.Tensor:
        out_size = self._check_out_size(out_size)
        return self.conv(self.rescale(self.select_inputs(feats)[0], out_size))

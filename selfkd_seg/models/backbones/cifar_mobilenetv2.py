"""MobileNetV2 for CIFAR in RepDistiller's form (``mobile_half``)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer

from selfkd_seg.registry import MODELS
from .cifar_base import CIFARBackbone


def conv_norm_relu(in_channels: int, out_channels: int, kernel_size: int,
                   stride: int, norm_cfg: dict) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding=kernel_size // 2,
            bias=False),
        build_norm_layer(norm_cfg, out_channels)[1], nn.ReLU(inplace=True))


class InvertedResidual(nn.Module):
    """Expand 1x1, depthwise 3x3, linear 1x1 projection (+ identity).

    Unlike torchvision, the expansion conv exists even for expand ratio 1 and
    the activation is ReLU (not ReLU6), as in RepDistiller's checkpoints.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 expand_ratio: int, norm_cfg: dict):
        super().__init__()
        mid = in_channels * expand_ratio
        self.use_res_connect = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, mid, 1, bias=False),
            build_norm_layer(norm_cfg, mid)[1],
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, stride, padding=1, groups=mid, bias=False),
            build_norm_layer(norm_cfg, mid)[1],
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, 1, bias=False),
            build_norm_layer(norm_cfg, out_channels)[1],
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_res_connect else out


@MODELS.register_module()
class CIFARMobileNetV2(CIFARBackbone):
    """MobileNetV2 for 32x32 inputs, backbone only.

    From `MobileNetV2: Inverted Residuals and Linear Bottlenecks
    <https://arxiv.org/abs/1801.04381>`_ in RepDistiller's form
    (``models/mobilenetv2.py``; its ``MobileNetV2`` entry is ``mobile_half``
    = ``CIFARMobileNetV2(width_mult=0.5)``): a stride-2 3x3 stem, seven
    groups of inverted residuals (``blocks[0..6]``, widths
    16/24/32/64/96/160/320 x ``width_mult``, strides 1, 1, 2, 2, 1, 2, 1) and a
    1x1 conv to 1280 channels (``conv2``, the classifier's input).

    Stages (5).  Stages 1-4 are RepDistiller's feature points ``f1..f4``:
    ``blocks[0:2]``, ``blocks[2]``, ``blocks[3:5]``, ``blocks[5:7]`` (for
    32x32 inputs and width 0.5: 12ch 16x16, 16ch 8x8, 48ch 4x4, 160ch 2x2).
    Stage 5 is ``conv2`` (1280ch 2x2), so ``forward`` with the default
    ``out_indices`` feeds a plain linear head.  Stages 1-4 end in a *linear*
    bottleneck (no ReLU): there ``pre_feats[i]`` and ``post_feats[i]`` are the
    same tensor (the feature the net passes on), and ``get_bn_before_relu``
    returns their last BN (as RepDistiller); stage 5 has ``post ==
    relu(pre)``.

    Args:
        width_mult (float): Channel multiplier.  Defaults to 0.5.
        expand_ratio (int): Expansion of all but the first group
            (RepDistiller's ``T``).  Defaults to 6.
        out_indices (int | Sequence[int], optional): Stages whose features
            ``forward`` returns.  Defaults to the last stage.
        norm_cfg (dict): Norm layer config.  Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Defaults to He-normal
            (fan_out) convs, norm weight 1 / bias 0 (RepDistiller).
    """
    # expand ratio (None -> 1), channels, blocks, stride of the first block
    group_settings = [(None, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2),
                      (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                      (6, 320, 1, 1)]
    # Which of the seven groups form each of the first four stages.
    stage_groups = ((0, 1), (2, ), (3, 4), (5, 6))

    def __init__(self,
                 width_mult: float = 0.5,
                 expand_ratio: int = 6,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if width_mult <= 0:
            raise ValueError(f'width_mult must be > 0, got {width_mult}')
        in_channels = int(32 * width_mult)
        self.conv1 = conv_norm_relu(3, in_channels, 3, 2, norm_cfg)
        self.blocks = nn.ModuleList()
        for t, c, n, s in self.group_settings:
            out_channels = int(c * width_mult)
            layers = []
            for i in range(n):
                layers.append(
                    InvertedResidual(in_channels, out_channels,
                                     s if i == 0 else 1,
                                     1 if t is None else expand_ratio,
                                     norm_cfg))
                in_channels = out_channels
            self.blocks.append(nn.Sequential(*layers))
        last_channels = int(1280 * width_mult) if width_mult > 1 else 1280
        self.conv2 = conv_norm_relu(in_channels, last_channels, 1, 1, norm_cfg)
        self.stage_channels = tuple(
            int(self.group_settings[g[-1]][1] * width_mult)
            for g in self.stage_groups) + (last_channels, )
        self._init_out_indices(out_indices)

    def forward_stages(
            self,
            x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        x = self.conv1(x)
        pre_feats, post_feats = [], []
        for groups in self.stage_groups:
            for g in groups:
                x = self.blocks[g](x)
            pre_feats.append(x)  # linear bottleneck: no ReLU follows
            post_feats.append(x)
        conv, norm, _ = self.conv2
        pre = norm(conv(x))
        pre_feats.append(pre)
        post_feats.append(F.relu(pre))
        return pre_feats, post_feats

    def get_bn_before_relu(self) -> List[nn.Module]:
        """Last BN of each bottleneck stage, then ``conv2``'s BN."""
        return [self.blocks[g[-1]][-1].conv[-1]
                for g in self.stage_groups] + [self.conv2[1]]

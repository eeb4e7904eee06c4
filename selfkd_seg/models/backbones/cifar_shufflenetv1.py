"""ShuffleNetV1 for CIFAR in RepDistiller's form (``ShuffleV1``)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer

from selfkd_seg.registry import MODELS
from .cifar_base import CIFARBackbone


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """(N, g*c, H, W) -> interleave the g groups' channels."""
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h,
                  w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleV1Block(nn.Module):
    """Group 1x1, shuffle, depthwise 3x3, group 1x1; returns the pre-ReLU sum.

    With stride 2 the shortcut is a 3x3 average pool concatenated to the
    branch (which then produces ``out_channels - in_channels`` channels).
    The first 1x1 conv of the network's first block is not grouped (its
    24-channel input is too narrow), as in the ShuffleNet paper.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 groups: int, first_group_conv: bool, norm_cfg: dict):
        super().__init__()
        self.stride = stride
        branch_channels = out_channels - (in_channels if stride == 2 else 0)
        mid = branch_channels // 4
        self.groups1 = groups if first_group_conv else 1
        self.conv1 = nn.Conv2d(
            in_channels, mid, 1, groups=self.groups1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, mid)[1]
        self.conv2 = nn.Conv2d(
            mid, mid, 3, stride, padding=1, groups=mid, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, mid)[1]
        self.conv3 = nn.Conv2d(
            mid, branch_channels, 1, groups=groups, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, branch_channels)[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = channel_shuffle(out, self.groups1)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.stride == 2:
            return torch.cat(
                [out, F.avg_pool2d(x, 3, stride=2, padding=1)], dim=1)
        return out + x


@MODELS.register_module()
class CIFARShuffleNetV1(CIFARBackbone):
    """ShuffleNetV1 for 32x32 inputs, backbone only.

    From `ShuffleNet: An Extremely Efficient Convolutional Neural Network for
    Mobile Devices <https://arxiv.org/abs/1707.01083>`_ in RepDistiller's form
    (``models/ShuffleNetv1.py``, ``ShuffleV1``): a 1x1 stem conv to 24
    channels + BN + ReLU (stride 1, no pooling), then three stages
    (``layer1..3``) whose first block has stride 2.

    Stages (3): ``layer1``, ``layer2``, ``layer3`` (for 32x32 inputs and the
    default arch: 240ch 16x16, 480ch 8x8, 960ch 4x4).  ``pre_feats[i]`` is the
    last block's ``bn3 + identity`` before the ReLU, ``post == relu(pre)``.
    ``get_bn_before_relu`` returns those ``bn3`` (the same approximation
    Overhaul makes for ResNets: the residual is added after the BN);
    RepDistiller itself does not offer it for ShuffleNets.

    Args:
        out_channels (Sequence[int]): Stage widths.  Defaults to
            (240, 480, 960) (groups 3).
        num_blocks (Sequence[int]): Blocks per stage.  Defaults to (4, 8, 4).
        groups (int): Groups of the 1x1 convs.  Defaults to 3.
        out_indices (int | Sequence[int], optional): Stages whose post-ReLU
            features ``forward`` returns.  Defaults to the last stage.
        norm_cfg (dict): Norm layer config.  Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Defaults to He-normal
            (fan_out) convs, norm weight 1 / bias 0.
    """
    stem_channels = 24

    def __init__(self,
                 out_channels: Sequence[int] = (240, 480, 960),
                 num_blocks: Sequence[int] = (4, 8, 4),
                 groups: int = 3,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if len(out_channels) != len(num_blocks):
            raise ValueError('out_channels and num_blocks need one entry per '
                             f'stage, got {out_channels} and {num_blocks}')
        self.conv1 = nn.Conv2d(3, self.stem_channels, 1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, self.stem_channels)[1]
        in_channels = self.stem_channels
        for i, (width, n) in enumerate(zip(out_channels, num_blocks)):
            blocks = []
            for b in range(n):
                blocks.append(
                    ShuffleV1Block(
                        in_channels,
                        width,
                        stride=2 if b == 0 else 1,
                        groups=groups,
                        first_group_conv=not (i == 0 and b == 0),
                        norm_cfg=norm_cfg))
                in_channels = width
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        self.stage_channels = tuple(out_channels)
        self._init_out_indices(out_indices)

    @property
    def stages(self) -> List[nn.Sequential]:
        return [getattr(self, f'layer{i + 1}') for i in range(self.num_stages)]

    def forward_stages(
            self,
            x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        x = F.relu(self.bn1(self.conv1(x)))
        pre_feats, post_feats = [], []
        for layer in self.stages:
            for block in layer:
                pre = block(x)
                x = F.relu(pre)
            pre_feats.append(pre)
            post_feats.append(x)
        return pre_feats, post_feats

    def get_bn_before_relu(self) -> List[nn.Module]:
        return [layer[-1].bn3 for layer in self.stages]

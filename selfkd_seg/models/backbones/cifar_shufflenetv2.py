"""ShuffleNetV2 for CIFAR in RepDistiller's form (``ShuffleV2``)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer

from selfkd_seg.registry import MODELS
from .cifar_base import CIFARBackbone
from .cifar_shufflenetv1 import channel_shuffle


def conv_norm(in_channels: int, out_channels: int, kernel_size: int,
              stride: int, groups: int, norm_cfg: dict,
              index: int) -> List[Tuple[str, nn.Module]]:
    """Named (conv{index}, bn{index}) pair, as RepDistiller names them."""
    conv = nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding=kernel_size // 2,
        groups=groups,
        bias=False)
    return [(f'conv{index}', conv),
            (f'bn{index}', build_norm_layer(norm_cfg, out_channels)[1])]


class ShuffleV2DownBlock(nn.Module):
    """Stride-2 unit: two branches on the full input, concatenated, shuffled.

    Left: depthwise 3x3/2 + BN, 1x1 + BN + ReLU.  Right: 1x1 + BN + ReLU,
    depthwise 3x3/2 + BN, 1x1 + BN + ReLU.  Its output is already rectified.
    """

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict):
        super().__init__()
        mid = out_channels // 2
        for name, module in (
                conv_norm(in_channels, in_channels, 3, 2, in_channels,
                          norm_cfg, 1) +
                conv_norm(in_channels, mid, 1, 1, 1, norm_cfg, 2) +
                conv_norm(in_channels, mid, 1, 1, 1, norm_cfg, 3) +
                conv_norm(mid, mid, 3, 2, mid, norm_cfg, 4) +
                conv_norm(mid, mid, 1, 1, 1, norm_cfg, 5)):
            self.add_module(name, module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left = self.bn1(self.conv1(x))
        left = F.relu(self.bn2(self.conv2(left)))
        right = F.relu(self.bn3(self.conv3(x)))
        right = self.bn4(self.conv4(right))
        right = F.relu(self.bn5(self.conv5(right)))
        return channel_shuffle(torch.cat([left, right], dim=1), 2)


class ShuffleV2BasicBlock(nn.Module):
    """Stride-1 unit: split channels in half, transform the second half.

    ``forward`` returns the pre-ReLU output ``shuffle(cat(x1, bn3(...)))``;
    since ``x1`` (a half of a rectified input) is non-negative, applying a
    ReLU to it gives exactly the block's real output.
    """

    def __init__(self, channels: int, norm_cfg: dict):
        super().__init__()
        half = channels // 2
        for name, module in (conv_norm(half, half, 1, 1, 1, norm_cfg, 1) +
                             conv_norm(half, half, 3, 1, half, norm_cfg, 2) +
                             conv_norm(half, half, 1, 1, 1, norm_cfg, 3)):
            self.add_module(name, module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=1)
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = self.bn3(self.conv3(out))
        return channel_shuffle(torch.cat([x1, out], dim=1), 2)


@MODELS.register_module()
class CIFARShuffleNetV2(CIFARBackbone):
    """ShuffleNetV2 for 32x32 inputs, backbone only.

    From `ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture
    Design <https://arxiv.org/abs/1807.11164>`_ in RepDistiller's form
    (``models/ShuffleNetv2.py``, ``ShuffleV2`` = net size 1): a 1x1 stem conv
    to 24 channels + BN + ReLU (stride 1, no pooling), three stages
    (``layer1..3``: a stride-2 down block, then basic blocks), then a 1x1 conv
    to 1024 channels + BN + ReLU (``conv2``/``bn2``).

    Stages (4): ``layer1``, ``layer2``, ``layer3`` and the final 1x1 conv
    (for 32x32 inputs: 116ch 16x16, 232ch 8x8, 464ch 4x4, 1024ch 4x4), so the
    default ``out_indices`` feed a plain linear head.  ``post == relu(pre)``
    for every stage.  Deviation from RepDistiller's ``preact`` feature: its
    pre-activation of layers 1-3 is taken before the channel shuffle; ours
    is shuffled like the post feature, so both share one channel order.
    ``get_bn_before_relu`` is not defined (half of a basic block's output is
    the untouched input, not a BN output), as in RepDistiller.

    Args:
        out_channels (Sequence[int]): Widths of the three stages and the final
            conv.  Defaults to (116, 232, 464, 1024) (net size 1).
        num_blocks (Sequence[int]): Basic blocks per stage (after the down
            block).  Defaults to (3, 7, 3).
        out_indices (int | Sequence[int], optional): Stages whose post-ReLU
            features ``forward`` returns.  Defaults to the last stage.
        norm_cfg (dict): Norm layer config.  Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Defaults to He-normal
            (fan_out) convs, norm weight 1 / bias 0.
    """
    stem_channels = 24

    def __init__(self,
                 out_channels: Sequence[int] = (116, 232, 464, 1024),
                 num_blocks: Sequence[int] = (3, 7, 3),
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if len(out_channels) != len(num_blocks) + 1:
            raise ValueError('out_channels needs one entry per stage plus the '
                             f'final conv width, got {out_channels} for '
                             f'num_blocks {num_blocks}')
        self.conv1 = nn.Conv2d(3, self.stem_channels, 1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, self.stem_channels)[1]
        in_channels = self.stem_channels
        for i, (width, n) in enumerate(zip(out_channels, num_blocks)):
            blocks = [ShuffleV2DownBlock(in_channels, width, norm_cfg)]
            blocks += [ShuffleV2BasicBlock(width, norm_cfg) for _ in range(n)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            in_channels = width
        self.conv2 = nn.Conv2d(in_channels, out_channels[-1], 1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels[-1])[1]
        self.stage_channels = tuple(out_channels)
        self._init_out_indices(out_indices)

    @property
    def stages(self) -> List[nn.Sequential]:
        return [
            getattr(self, f'layer{i + 1}') for i in range(self.num_stages - 1)
        ]

    def forward_stages(
            self,
            x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        x = F.relu(self.bn1(self.conv1(x)))
        pre_feats, post_feats = [], []
        for layer in self.stages:
            # The down block's output is rectified already (relu is a no-op).
            pre = x = layer[0](x)
            for block in layer[1:]:
                pre = block(x)
                x = F.relu(pre)
            pre_feats.append(pre)
            post_feats.append(x)
        pre = self.bn2(self.conv2(x))
        pre_feats.append(pre)
        post_feats.append(F.relu(pre))
        return pre_feats, post_feats

    def get_bn_before_relu(self) -> List[nn.Module]:
        raise NotImplementedError(
            'CIFARShuffleNetV2 has no BN before the ReLU of its stages: half '
            'of each block output is its untouched input. Use a margin '
            'estimated from the features instead.')

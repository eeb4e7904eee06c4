"""RepDistiller's CIFAR ResNets (resnet8 ... resnet110, resnet8x4/32x4)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer

from selfkd_seg.registry import MODELS
from .cifar_base import CIFARBackbone


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(
        in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def make_downsample(in_channels: int, out_channels: int, stride: int,
                    norm_cfg: dict) -> Optional[nn.Sequential]:
    """1x1 projection shortcut (conv + norm) when the shape changes."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1])


class BasicBlock(nn.Module):
    """Two 3x3 convs with a shortcut; returns the sum *before* the final ReLU.

    The caller applies the ReLU (see :func:`run_res_layer`) so that a stage's
    pre-activation output is available without a second pass.
    """
    expansion = 1

    def __init__(self,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1 = conv3x3(in_channels, planes, stride)
        self.bn1 = build_norm_layer(norm_cfg, planes)[1]
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = build_norm_layer(norm_cfg, planes)[1]
        self.downsample = make_downsample(in_channels, out_channels, stride,
                                          norm_cfg)

    @property
    def last_norm(self) -> nn.Module:
        return self.bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity


class Bottleneck(nn.Module):
    """1x1-3x3-1x1 bottleneck (stride on the 3x3), expansion 4; pre-ReLU."""
    expansion = 4

    def __init__(self,
                 in_channels: int,
                 planes: int,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, planes)[1]
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = build_norm_layer(norm_cfg, planes)[1]
        self.conv3 = nn.Conv2d(planes, out_channels, 1, bias=False)
        self.bn3 = build_norm_layer(norm_cfg, out_channels)[1]
        self.downsample = make_downsample(in_channels, out_channels, stride,
                                          norm_cfg)

    @property
    def last_norm(self) -> nn.Module:
        return self.bn3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity


def make_res_layer(block: type, in_channels: int, planes: int, num_blocks: int,
                   stride: int, norm_cfg: dict) -> nn.Sequential:
    """``num_blocks`` blocks, the first one with ``stride``."""
    layers = []
    for i in range(num_blocks):
        layers.append(
            block(in_channels, planes, stride if i == 0 else 1, norm_cfg))
        in_channels = planes * block.expansion
    return nn.Sequential(*layers)


def run_res_layer(layer: nn.Sequential,
                  x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Run a residual stage; return (pre-ReLU, post-ReLU) of its last block."""
    pre = x
    for block in layer:
        pre = block(x)
        x = F.relu(pre)
    return pre, x


class ResidualStagesMixin:
    """Stem (conv1 + bn1 + ReLU) then ``layer1..layerN`` residual stages.

    Shared by :class:`CIFARResNet` and ``CIFARResNet18``: one pass gives
    the pre- and post-ReLU output of every stage's last block.
    """

    @property
    def stages(self) -> List[nn.Sequential]:
        return [getattr(self, f'layer{i + 1}') for i in range(self.num_stages)]

    def forward_stages(
            self,
            x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        x = F.relu(self.bn1(self.conv1(x)))
        pre_feats, post_feats = [], []
        for layer in self.stages:
            pre, x = run_res_layer(layer, x)
            pre_feats.append(pre)
            post_feats.append(x)
        return pre_feats, post_feats

    def get_bn_before_relu(self) -> List[nn.Module]:
        """The last block's final norm (``bn2`` / ``bn3``) of every stage,
        as RepDistiller / Overhaul."""
        return [layer[-1].last_norm for layer in self.stages]


@MODELS.register_module()
class CIFARResNet(ResidualStagesMixin, CIFARBackbone):
    """CIFAR ResNet of RepDistiller (after fb.resnet.torch), backbone only.

    From `Deep Residual Learning for Image Recognition
    <https://arxiv.org/abs/1512.03385>`_ (the CIFAR variant of Sec. 4.2), as
    used by `CRD/RepDistiller <https://github.com/HobbitLong/RepDistiller>`_
    and every CIFAR-100 distillation table since.  Layer names and shapes
    match RepDistiller's ``models/resnet.py``, so its checkpoints convert with
    ``tools/model_converters/repdistiller_to_selfkd.py``.

    A 3x3 stem conv (stride 1) + BN + ReLU, then three stages of
    ``n = (depth - 2) / 6`` basic blocks (strides 1, 2, 2).  The stem is not a
    stage.  A stage's pre-activation output is its last block's
    ``bn2(conv2) + shortcut`` before the ReLU; ``post == relu(pre)``.

    Archs (``arch`` string -> depth, channels (stem, stage1, stage2, stage3)):

    - ``'resnet8'``, ``'resnet14'``, ``'resnet20'``, ``'resnet32'``,
      ``'resnet44'``, ``'resnet56'``, ``'resnet110'``: (16, 16, 32, 64).
    - ``'resnet8x4'`` (depth 8), ``'resnet32x4'`` (depth 32): (32, 64, 128,
      256).

    Args:
        arch (str | dict): One of the names above, or
            ``dict(depth=6n+2, channels=(stem, c1, c2, c3))``.
        out_indices (int | Sequence[int], optional): Stages whose post-ReLU
            features ``forward`` returns.  Defaults to the last stage.
        norm_cfg (dict): Norm layer config.  Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Defaults to RepDistiller's
            init (He-normal fan_out convs, norm weight 1 / bias 0).
    """
    arch_settings = {
        'resnet8': (8, (16, 16, 32, 64)),
        'resnet14': (14, (16, 16, 32, 64)),
        'resnet20': (20, (16, 16, 32, 64)),
        'resnet32': (32, (16, 16, 32, 64)),
        'resnet44': (44, (16, 16, 32, 64)),
        'resnet56': (56, (16, 16, 32, 64)),
        'resnet110': (110, (16, 16, 32, 64)),
        'resnet8x4': (8, (32, 64, 128, 256)),
        'resnet32x4': (32, (32, 64, 128, 256)),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'resnet56',
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        depth, channels = self._parse_arch(arch)
        num_blocks = (depth - 2) // 6

        self.conv1 = conv3x3(3, channels[0])
        self.bn1 = build_norm_layer(norm_cfg, channels[0])[1]
        in_channels = channels[0]
        for i, (planes, stride) in enumerate(zip(channels[1:], (1, 2, 2))):
            self.add_module(
                f'layer{i + 1}',
                make_res_layer(BasicBlock, in_channels, planes, num_blocks,
                               stride, norm_cfg))
            in_channels = planes
        self.stage_channels = tuple(channels[1:])
        self._init_out_indices(out_indices)

    def _parse_arch(self, arch: Union[str, dict]) -> Tuple[int, tuple]:
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise KeyError(f'Unknown CIFARResNet arch {arch!r}; choose '
                               f'one of {sorted(self.arch_settings)} or pass '
                               'dict(depth=..., channels=(...))')
            return self.arch_settings[arch]
        if not isinstance(arch, dict) or set(arch) != {'depth', 'channels'}:
            raise TypeError('arch must be a str or dict(depth=6n+2, '
                            f'channels=(stem, c1, c2, c3)), got {arch!r}')
        depth, channels = arch['depth'], tuple(arch['channels'])
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(f'CIFARResNet depth must be 6n+2 (n >= 1), got '
                             f'{depth}')
        if len(channels) != 4:
            raise ValueError('arch channels must have 4 entries (stem, c1, '
                             f'c2, c3), got {channels}')
        return depth, channels

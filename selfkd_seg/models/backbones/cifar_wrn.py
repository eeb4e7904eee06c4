"""Pre-activation Wide ResNets for CIFAR (wrn_16_2, wrn_40_2, ...)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer

from selfkd_seg.registry import MODELS
from .cifar_base import CIFARBackbone


class WideBasicBlock(nn.Module):
    """Pre-activation block: (norm-)ReLU, 3x3 conv, norm, ReLU, 3x3 conv.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv and of the shortcut.
        preact (str): What the block does to its input first: ``'norm_act'``
            (BN + ReLU, original WRN / RepDistiller), ``'act'`` (ReLU only,
            FRSKD's WRN) or ``'none'`` (the input is already activated: the
            first block of groups 2 and 3, whose BN + ReLU the backbone runs
            as the previous stage's boundary).
        norm_cfg (dict): Norm layer config.
        drop_rate (float): Dropout between the two convs.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int,
                 preact: str = 'norm_act',
                 norm_cfg: dict = dict(type='BN'),
                 drop_rate: float = 0.):
        super().__init__()
        if preact not in ('norm_act', 'act', 'none'):
            raise ValueError("preact must be 'norm_act', 'act' or 'none', "
                             f'got {preact!r}')
        self.preact = preact
        if preact == 'norm_act':
            self.bn1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_channels == out_channels and stride == 1
        if not self.equal_in_out:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.preact == 'norm_act':
            act = F.relu(self.bn1(x))
        elif self.preact == 'act':
            act = F.relu(x)
        else:
            act = x
        out = F.relu(self.bn2(self.conv1(act)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)
        # Identity shortcuts add the raw input, projections see the activated
        # one (Zagoruyko & Komodakis' reference code, kept by RepDistiller).
        return out + (x if self.equal_in_out else self.shortcut(act))


@MODELS.register_module()
class WideResNet(CIFARBackbone):
    """Wide ResNet (pre-activation) for CIFAR, backbone only.

    From `Wide Residual Networks <https://arxiv.org/abs/1605.07146>`_, in the
    form of RepDistiller's ``models/wrn.py`` (``wrn_16_1``, ``wrn_16_2``,
    ``wrn_40_1``, ``wrn_40_2``: ``WideResNet(depth=40, widen_factor=2)``).
    A 3x3 stem conv (16 channels, not a stage), then three groups of
    ``n = (depth - 4) / 6`` blocks with ``(16, 32, 64) * widen_factor``
    channels and strides 1, 2, 2, then a final BN + ReLU.

    Stage boundaries of a pre-activation net.  Group ``i``'s raw output (a
    residual sum) is normalised and rectified by the *next* BN + ReLU: the
    first block's ``bn1`` of group ``i + 1``, or the final BN for the last
    group.  As in Overhaul's and RepDistiller's ``preact`` features,
    ``pre_feats[i]`` is that BN's output and ``post_feats[i] = relu(pre)``, the
    tensor the next group consumes (for the last stage: the classifier's
    input).  To compute both in one pass the boundary norms live in
    ``stage_norms`` (``stage_norms[i]`` = RepDistiller's
    ``block{i+2}.layer.0.bn1`` for i < 2, its final ``bn1`` for i = 2) and the
    first block of groups 2 and 3 takes the already activated input.  The
    parameters and the function are RepDistiller's exactly; only names differ
    (see the converter).  ``get_bn_before_relu()`` returns ``stage_norms``,
    the same modules as RepDistiller's/Overhaul's.

    ``norm_in_blocks=False`` gives FRSKD's WRN (MingiJi/FRSKD
    ``models/wrn.py``): no BN inside the blocks (they start with a bare
    ReLU), a BN at the end of each group (the same ``stage_norms``) whose
    outputs are the returned features.

    Args:
        depth (int): 6n+4, e.g. 16 or 40.
        widen_factor (int): Width multiplier k.
        drop_rate (float): Dropout inside blocks.  Defaults to 0.
        norm_in_blocks (bool): True for the original/RepDistiller WRN, False
            for FRSKD's variant.  Defaults to True.
        out_indices (int | Sequence[int], optional): Stages whose post-ReLU
            features ``forward`` returns.  Defaults to the last stage.
        norm_cfg (dict): Norm layer config.  Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Defaults to He-normal
            (fan_out) convs, norm weight 1 / bias 0 (RepDistiller).
    """

    def __init__(self,
                 depth: int = 16,
                 widen_factor: int = 2,
                 drop_rate: float = 0.,
                 norm_in_blocks: bool = True,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ValueError(f'WideResNet depth must be 6n+4 (n >= 1), got '
                             f'{depth}')
        num_blocks = (depth - 4) // 6
        channels = [16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        inner_preact = 'norm_act' if norm_in_blocks else 'act'

        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        in_channels = 16
        for g, (out_channels, stride) in enumerate(zip(channels, (1, 2, 2))):
            blocks = []
            for b in range(num_blocks):
                # Groups 2 and 3 start from the previous stage's post feature.
                preact = 'none' if g > 0 and b == 0 else inner_preact
                blocks.append(
                    WideBasicBlock(in_channels, out_channels,
                                   stride if b == 0 else 1, preact, norm_cfg,
                                   drop_rate))
                in_channels = out_channels
            self.add_module(f'block{g + 1}', nn.Sequential(*blocks))
        self.stage_norms = nn.ModuleList(
            build_norm_layer(norm_cfg, c)[1] for c in channels)
        self.stage_channels = tuple(channels)
        self._init_out_indices(out_indices)

    def forward_stages(
            self,
            x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        x = self.conv1(x)
        pre_feats, post_feats = [], []
        for g, norm in enumerate(self.stage_norms):
            pre = norm(getattr(self, f'block{g + 1}')(x))
            x = F.relu(pre)
            pre_feats.append(pre)
            post_feats.append(x)
        return pre_feats, post_feats

    def get_bn_before_relu(self) -> List[nn.Module]:
        return list(self.stage_norms)

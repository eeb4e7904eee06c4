"""Weighted bi-directional feature pyramid (BiFPN) of EfficientDet."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule

from selfkd_seg.registry import MODELS
from ..utils import FastNormalizedFusion, MaxPool2dSame, resize_to
from ..utils.bifpn_blocks import build_activation


class SumFusion(nn.Module):
    """Unweighted fusion (plain sum), used by EfficientDet-D6/D7."""

    def __init__(self, num_inputs: int):
        super().__init__()
        self.num_inputs = num_inputs

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(inputs) != self.num_inputs:
            raise ValueError(f'expected {self.num_inputs} inputs to fuse, got '
                             f'{len(inputs)}')
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class BiFPNNode(nn.Module):
    """A BiFPN node: fuse -> swish -> depthwise 3x3 + pointwise 1x1 -> BN.

    There is no activation after the BN: the next node activates its fused
    input instead (EfficientDet's order). A node with one input (the top
    level of a top-down-only last layer) has nothing to fuse.
    """

    def __init__(self, num_inputs: int, channels: int, weighted_fusion: bool,
                 norm_cfg: dict, act_cfg: dict):
        super().__init__()
        if num_inputs == 1:
            self.fusion = SumFusion(1)
        else:
            self.fusion = (
                FastNormalizedFusion(num_inputs, eps=1e-4)
                if weighted_fusion else SumFusion(num_inputs))
        # swish as nn.SiLU (one fused kernel; docs/performance.md)
        self.act = build_activation(act_cfg)
        self.conv = DepthwiseSeparableConvModule(
            channels,
            channels,
            3,
            padding=1,
            bias=False,  # BN follows; a bias would be redundant
            norm_cfg=norm_cfg,
            dw_norm_cfg=None,
            act_cfg=None)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.conv(self.act(self.fusion(inputs)))


def channel_adapter(in_channels: int, out_channels: int,
                    norm_cfg: dict) -> nn.Module:
    """1x1 conv + BN to the BiFPN width; identity if the width matches."""
    if in_channels == out_channels:
        return nn.Identity()
    return ConvModule(
        in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)


class BiFPNStage(nn.Module):
    """One BiFPN layer: a top-down then a bottom-up pass over all levels.

    Args:
        in_channels (list[int]): Channels of each input level, finest first.
            Levels whose channels differ from ``out_channels`` get 1x1 conv
            + BN adapters (only the first stage of a stack has any): one for
            the top-down path and a separate one for the bottom-up path.
        out_channels (int): BiFPN width.
        levels (list[int]): Pyramid level of each input (names ``P{level}``).
        upsample_mode (str): Interpolation of the top-down path.
        weighted_fusion (bool): Fast normalized fusion or a plain sum.
        norm_cfg (dict): Norm layers config.
        act_cfg (dict): Activation applied to each fused input.
        top_down_only (bool): Output the top-down pass (every level, the top
            one through a one-input node too) and build no bottom-up path:
            the ``is_last`` layer of FRSKD's segmentation self-teacher.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 levels: Sequence[int],
                 upsample_mode: str,
                 weighted_fusion: bool,
                 norm_cfg: dict,
                 act_cfg: dict,
                 top_down_only: bool = False):
        super().__init__()
        assert len(in_channels) == len(levels) >= 2
        self.names = [f'P{level}' for level in levels]
        self.upsample_mode = upsample_mode
        self.top_down_only = top_down_only
        top = len(levels) - 1

        def node(num_inputs):
            return BiFPNNode(num_inputs, out_channels, weighted_fusion,
                             norm_cfg, act_cfg)

        self.td_laterals = nn.ModuleDict({
            name:
            channel_adapter(c, out_channels, norm_cfg)
            for name, c in zip(self.names, in_channels)
        })
        # The top level has no top-down node (except in a top-down-only
        # layer, where it is an output); the bottom level's top-down node is
        # already its output (no bottom-up node).
        self.td_nodes = nn.ModuleDict(
            {name: node(2)
             for name in self.names[:top]})
        if top_down_only:
            self.td_nodes[self.names[top]] = node(1)
            return
        self.bu_laterals = nn.ModuleDict({
            name:
            channel_adapter(c, out_channels, norm_cfg)
            for name, c in zip(self.names[1:], in_channels[1:])
        })
        self.bu_nodes = nn.ModuleDict({
            name: node(3 if i < top else 2)
            for i, name in enumerate(self.names) if i > 0
        })
        self.downsample = MaxPool2dSame(kernel_size=3, stride=2)

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        names = self.names
        top = len(names) - 1
        # Top-down: P_td[i] = node(P_in[i], up(P_td[i + 1])).
        td = [None] * len(names)
        td[top] = self.td_laterals[names[top]](feats[top])
        if self.top_down_only:
            td[top] = self.td_nodes[names[top]]([td[top]])
        for i in range(top - 1, -1, -1):
            lateral = self.td_laterals[names[i]](feats[i])
            up = resize_to(td[i + 1], lateral.shape[-2:], self.upsample_mode)
            td[i] = self.td_nodes[names[i]]([lateral, up])
        if self.top_down_only:
            return tuple(td)
        # Bottom-up: P_out[i] = node(P_in'[i], P_td[i], down(P_out[i - 1])),
        # the top level has no P_td. Resizing after the pool fixes levels
        # that are not exact halves (e.g. backbone padding rules).
        outs = [td[0]]
        for i in range(1, top + 1):
            lateral = self.bu_laterals[names[i]](feats[i])
            down = resize_to(self.downsample(outs[-1]), lateral.shape[-2:])
            inputs = [lateral, td[i], down] if i < top else [lateral, down]
            outs.append(self.bu_nodes[names[i]](inputs))
        return tuple(outs)


@MODELS.register_module(codebases='mmseg')
class WeightedBiFPN(BaseModule):
    """Stack of weighted BiFPN layers over a configurable level range.

    `EfficientDet: Scalable and Efficient Object Detection
    <https://arxiv.org/abs/1911.09070>`_.

    Input ``i`` is the feature of pyramid level ``backbone_min_level + i``
    (stride ``2 ** level``). The neck outputs levels ``min_level`` ..
    ``max_level``:

    - inputs below ``min_level`` (or above ``max_level``) are not used, e.g.
      P3..P7 on C2..C5 skips C2;
    - levels above the last input level are made as in EfficientDet: the
      first by 1x1 conv + BN (identity if the width already matches) and a
      3x3/2 same max-pool of the last input, the next ones by max-pooling the
      previous extra level;
    - when the inputs already cover every level (e.g. a self-teacher BiFPN
      stacked on another BiFPN's P2..P7 outputs, ``in_channels=[64] * 6``),
      no extra level is made, and the first layer's adapters are identities
      because the channels match.

    The first BiFPN layer adapts input levels whose width differs with 1x1
    conv + BN, with separate adapters for the top-down and the bottom-up
    path (EfficientDet); later layers have no adapters.

    Note: a head that reads only the finest level (EfficientDet's
    segmentation) does not use the last layer's bottom-up nodes, so those
    parameters get no gradient; distributed training of such a plain model
    needs ``find_unused_parameters=True`` (the baseline configs set it). In
    FRSKD every parameter is used: the student's P3..P7 feed the
    self-teacher and the AT loss, and the self-teacher's last layer is
    ``last_layer_top_down`` (see below), so each of its outputs lies on the
    path to its P2 head.

    Args:
        in_channels (list[int]): Channels of each input, finest first.
        out_channels (int): BiFPN width. Default: 64 (D0).
        num_layers (int): Number of stacked BiFPN layers. Default: 3.
        min_level (int): Finest output level. Default: 2 (segmentation).
        max_level (int): Coarsest output level. Default: 7.
        backbone_min_level (int): Level of the first input. Default: 2
            (stride 4, EfficientNet ``reduction_2``).
        upsample_mode (str): Interpolation of the top-down path; outputs are
            resized to the exact size of the target level. Default: 'nearest'.
        weighted_fusion (bool): Fast normalized fusion (eps 1e-4); ``False``
            sums the inputs (D6/D7). Default: True.
        norm_cfg (dict): Norm config (EfficientDet's BN: momentum 0.01 in
            PyTorch convention, eps 1e-3).
        act_cfg (dict): Activation before each node's separable conv.
            Default: dict(type='Swish').
        last_layer_top_down (bool): The last layer outputs its top-down pass
            (P_min through the bottom node, every coarser level through its
            top-down node, the top level through a one-input node) and has
            no bottom-up path: the ``is_last`` layer of FRSKD's segmentation
            code. FRSKD's self-teacher uses it: its head reads P_min only, so
            bottom-up outputs of a last layer would never be trained, and
            the student would be distilled (AT) towards the attention of
            randomly initialised features. Default: False (EfficientDet).
        init_cfg (dict, optional): Initialization config. Default: None.

    Returns:
        tuple[Tensor]: ``max_level - min_level + 1`` maps of ``out_channels``
        channels, finest first.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int = 64,
                 num_layers: int = 3,
                 min_level: int = 2,
                 max_level: int = 7,
                 backbone_min_level: int = 2,
                 upsample_mode: str = 'nearest',
                 weighted_fusion: bool = True,
                 norm_cfg: dict = dict(type='BN', momentum=0.01, eps=1e-3),
                 act_cfg: dict = dict(type='Swish'),
                 last_layer_top_down: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        in_channels = list(in_channels)
        backbone_max_level = backbone_min_level + len(in_channels) - 1
        if not in_channels:
            raise ValueError('in_channels must not be empty')
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        if max_level <= min_level:
            raise ValueError(f'max_level ({max_level}) must be larger than '
                             f'min_level ({min_level})')
        if not backbone_min_level <= min_level <= backbone_max_level:
            raise ValueError(
                f'min_level={min_level} needs an input of that level, but '
                f'the {len(in_channels)} inputs are levels '
                f'{backbone_min_level}..{backbone_max_level}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.min_level = min_level
        self.max_level = max_level
        self.backbone_min_level = backbone_min_level
        self.last_layer_top_down = last_layer_top_down

        # Inputs used: levels min_level .. min(max_level, last input level).
        self.start = min_level - backbone_min_level
        self.end = min(max_level, backbone_max_level) - backbone_min_level + 1
        num_extra = max(0, max_level - backbone_max_level)
        self.extra_levels = nn.ModuleList()
        for i in range(num_extra):
            pool = MaxPool2dSame(kernel_size=3, stride=2)
            if i == 0:
                adapter = channel_adapter(in_channels[self.end - 1],
                                          out_channels, norm_cfg)
                self.extra_levels.append(nn.Sequential(adapter, pool))
            else:
                self.extra_levels.append(pool)

        levels = list(range(min_level, max_level + 1))
        stage_in = (
            in_channels[self.start:self.end] + [out_channels] * num_extra)
        stages = []
        for i in range(num_layers):
            top_down_only = last_layer_top_down and i == num_layers - 1
            stages.append(
                BiFPNStage(stage_in, out_channels, levels, upsample_mode,
                           weighted_fusion, norm_cfg, act_cfg, top_down_only))
            stage_in = [out_channels] * len(levels)
        self.stages = nn.Sequential(*stages)

    def _check_inputs(self, inputs: Sequence[torch.Tensor]) -> None:
        got = [x.shape[1] for x in inputs]
        if len(inputs) != len(self.in_channels) or got != self.in_channels:
            first = self.backbone_min_level
            raise ValueError(
                f'WeightedBiFPN expects {len(self.in_channels)} inputs '
                f'(levels {first}..{first + len(self.in_channels) - 1}) '
                f'with channels {self.in_channels}, got {len(inputs)} inputs '
                f'with channels {got}')

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        self._check_inputs(inputs)
        feats = list(inputs[self.start:self.end])
        extra = inputs[self.end - 1]
        for make_level in self.extra_levels:
            extra = make_level(extra)
            feats.append(extra)
        return self.stages(tuple(feats))

"""The FPN + BiFPN of the FRSKD authors' segmentation code (paper Table 4).

FRSKD's segmentation results (79.07 -> 80.55 mIoU for d0) come from the
authors' own network (``segmentation/utils/efficientdet.py`` and
``BiFPN.py`` of github.com/MingiJi/FRSKD), which is not EfficientDet's
BiFPN (:class:`WeightedBiFPN`): an FPN makes P2..P7 first, then BiFPN layers
fuse levels by a plain sum and refine each node with a per-channel (1x1,
depthwise) conv + BN + ReLU instead of a separable 3x3 conv. This module
rebuilds that network (see docs/frskd_official_network.md).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule

from selfkd_seg.registry import MODELS
from ..utils import resize_to


def conv_norm_act(in_channels: int,
                  out_channels: int,
                  kernel_size: int,
                  norm_cfg: dict,
                  act_cfg: dict,
                  stride: int = 1,
                  groups: int = 1,
                  bias: bool = True) -> nn.Sequential:
    """``nn.Conv2d`` (bias as in the authors' code) + norm + activation.

    Plain torch modules keep PyTorch's default initialisation, as the
    authors' code (mmcv's ``ConvModule`` would re-initialise with Kaiming).
    """
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            groups=groups,
            bias=bias),
        build_norm_layer(norm_cfg, out_channels)[1],
        build_activation_layer(act_cfg))


class FRSKDSegBiFPNLayer(nn.Module):
    """One BiFPN layer of the authors' code (``BiFPNSeg``), on L levels.

    With ``node(x) = ReLU(BN(conv1x1_depthwise(x)))``, inputs ``P_in[i]``
    (finest first, ``top = L - 1``)::

        P_up[top] = node(P_in[top])
        P_up[i]   = node(P_in[i] + up(P_up[i + 1]))          i = top-1 .. 0
        P_out[0]  = P_up[0]
        P_out[i]  = node(P_in[i] + P_up[i] + down(P_out[i - 1]))  i = 1..top

    ``up``: bilinear resize to the target level's size; ``down``: nearest
    resize (``F.interpolate``) to the target size. A ``top_down_only`` layer
    (the authors' ``is_last``) returns ``P_up`` (``P_up[0]`` is ``P_out[0]``)
    and builds no bottom-up nodes.
    """

    def __init__(self,
                 channels: int,
                 num_levels: int,
                 norm_cfg: dict,
                 act_cfg: dict,
                 top_down_only: bool = False,
                 upsample_mode: str = 'bilinear',
                 downsample_mode: str = 'nearest',
                 node_bias: bool = True):
        super().__init__()
        if num_levels < 2:
            raise ValueError(f'a BiFPN layer needs >= 2 levels, got '
                             f'{num_levels}')
        self.num_levels = num_levels
        self.top_down_only = top_down_only
        self.upsample_mode = upsample_mode
        self.downsample_mode = downsample_mode

        def node():
            return conv_norm_act(
                channels,
                channels,
                1,
                norm_cfg,
                act_cfg,
                groups=channels,
                bias=node_bias)

        # td_nodes[i]: the top-down node of level i (every level has one)
        self.td_nodes = nn.ModuleList([node() for _ in range(num_levels)])
        # bu_nodes[i - 1]: the bottom-up node of level i >= 1
        self.bu_nodes = nn.ModuleList(
            [] if top_down_only else [node() for _ in range(num_levels - 1)])

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        if len(feats) != self.num_levels:
            raise ValueError(f'expected {self.num_levels} levels, got '
                             f'{len(feats)}')
        top = self.num_levels - 1
        up = [None] * self.num_levels
        up[top] = self.td_nodes[top](feats[top])
        for i in range(top - 1, -1, -1):
            coarser = resize_to(up[i + 1], feats[i].shape[-2:],
                                self.upsample_mode)
            up[i] = self.td_nodes[i](feats[i] + coarser)
        if self.top_down_only:
            return tuple(up)
        outs = [up[0]]
        for i in range(1, top + 1):
            finer = resize_to(outs[-1], feats[i].shape[-2:],
                              self.downsample_mode)
            outs.append(self.bu_nodes[i - 1](feats[i] + up[i] + finer))
        return tuple(outs)


@MODELS.register_module(codebases='mmseg')
class FRSKDSegBiFPN(BaseModule):
    """FPN + plain-sum BiFPN of the FRSKD authors' segmentation network.

    With ``with_fpn=True`` (the student) the inputs are backbone features
    C2..C5 (``len(in_channels)`` levels, finest first) and an FPN makes the
    BiFPN's inputs, ``len(in_channels) + 2`` levels P2..P7 of
    ``out_channels`` channels:

    - laterals: 1x1 conv + BN + ReLU on every input;
    - top-down: ``P_i = lateral_i(C_i) + up(P_{i+1})`` (bilinear resize to
      the lateral's size, no conv after the sum), ``P5 = lateral(C5)``;
    - ``P6 = ReLU(BN(conv3x3/2(C5)))`` on the raw C5, ``P7`` the same on P6
      (padding 1: ``ceil(size / 2)``).

    The authors' code also builds two 3x3 "smooth" convs that its forward
    never calls; they are not built here (no dead parameters).

    Then ``num_layers`` :class:`FRSKDSegBiFPNLayer` layers. With
    ``with_fpn=False`` (the self-teacher, fed with the student's P2..P7)
    there is no FPN, ``in_channels`` must all equal ``out_channels`` and
    the outputs have as many levels as the inputs.

    Args:
        in_channels (list[int]): Channels of each input, finest first.
        out_channels (int): Width (64 for d0, 88 for d1). Default: 64.
        num_layers (int): Number of BiFPN layers. Default: 3.
        with_fpn (bool): Build the FPN (and P6, P7) on backbone features.
            Default: True.
        last_layer_top_down (bool): The last layer is the authors'
            ``is_last``: it returns its top-down pass and has no bottom-up
            nodes (their self-teacher's second layer). Default: False.
        norm_cfg (dict): Norm of the BiFPN nodes. The authors' nodes use
            PyTorch's default BN (eps 1e-5, momentum 0.1).
            Default: dict(type='BN').
        fpn_norm_cfg (dict): Norm of the FPN convs. The authors' code has
            ``BatchNorm2d(eps=1e-4, momentum=0.997)``; 0.997 is TF's
            convention for what PyTorch calls 0.003, in PyTorch it makes the
            running statistics those of the last batch. The default keeps
            eps 1e-4 and PyTorch's momentum 0.1; pass ``momentum=0.997`` to
            copy the code literally. Default: dict(type='BN', eps=1e-4).
        act_cfg (dict): Activation of the FPN convs and the nodes.
            Default: dict(type='ReLU', inplace=True).
        upsample_mode (str): Resize of the top-down paths. Default:
            'bilinear'.
        downsample_mode (str): Resize of the BiFPN bottom-up path. Default:
            'nearest'.
        node_bias (bool): Bias in the nodes' depthwise convs (the authors'
            code has one; a BN follows, so in training mode it gets no
            gradient and only matters through weight decay). Default: True.
        init_cfg (dict, optional): Initialization config. Default: None
            (PyTorch's default init, as the authors' code).

    Returns:
        tuple[Tensor]: ``num_outs`` maps of ``out_channels`` channels,
        finest first.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int = 64,
                 num_layers: int = 3,
                 with_fpn: bool = True,
                 last_layer_top_down: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 fpn_norm_cfg: dict = dict(type='BN', eps=1e-4),
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 upsample_mode: str = 'bilinear',
                 downsample_mode: str = 'nearest',
                 node_bias: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        in_channels = list(in_channels)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        if with_fpn:
            if len(in_channels) < 1:
                raise ValueError('with_fpn=True needs at least one input')
            num_outs = len(in_channels) + 2
        else:
            if len(in_channels) < 2 or any(c != out_channels
                                           for c in in_channels):
                raise ValueError(
                    'with_fpn=False feeds the inputs to depthwise BiFPN '
                    f'nodes: they need >= 2 levels of out_channels='
                    f'{out_channels} channels, got {in_channels}')
            num_outs = len(in_channels)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_outs = num_outs
        self.num_layers = num_layers
        self.with_fpn = with_fpn
        self.last_layer_top_down = last_layer_top_down
        self.upsample_mode = upsample_mode

        if with_fpn:
            self.laterals = nn.ModuleList([
                conv_norm_act(c, out_channels, 1, fpn_norm_cfg, act_cfg)
                for c in in_channels
            ])
            self.extra_convs = nn.ModuleList([
                conv_norm_act(
                    in_channels[-1] if i == 0 else out_channels,
                    out_channels,
                    3,
                    fpn_norm_cfg,
                    act_cfg,
                    stride=2) for i in range(2)
            ])
        self.layers = nn.Sequential(*[
            FRSKDSegBiFPNLayer(
                out_channels,
                num_outs,
                norm_cfg,
                act_cfg,
                top_down_only=last_layer_top_down and i == num_layers - 1,
                upsample_mode=upsample_mode,
                downsample_mode=downsample_mode,
                node_bias=node_bias) for i in range(num_layers)
        ])

    def _fpn(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        top = len(inputs) - 1
        feats = [None] * len(inputs)
        feats[top] = self.laterals[top](inputs[top])
        for i in range(top - 1, -1, -1):
            lateral = self.laterals[i](inputs[i])
            feats[i] = lateral + resize_to(feats[i + 1], lateral.shape[-2:],
                                           self.upsample_mode)
        extra = inputs[top]  # P6 from the raw C5, P7 from P6
        for conv in self.extra_convs:
            extra = conv(extra)
            feats.append(extra)
        return tuple(feats)

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        got = [x.shape[1] for x in inputs]
        if got != self.in_channels:
            raise ValueError(
                f'FRSKDSegBiFPN expects {len(self.in_channels)} inputs with '
                f'channels {self.in_channels}, got {len(inputs)} with '
                f'channels {got}')
        feats = self._fpn(inputs) if self.with_fpn else tuple(inputs)
        return self.layers(feats)

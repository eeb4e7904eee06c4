"""The FRSKD classification self-teacher: shared BiFPN layer and wrapper.

`Refine Myself by Teaching Myself: Feature Refinement via Self-Knowledge
Distillation <https://arxiv.org/abs/2103.08273>`_ (FRSKD, CVPR 2021).  The
registered necks are :class:`~selfkd_seg.models.necks.FRSKDBiFPNc` (level
``i`` has
``width * c_i`` channels) and :class:`~selfkd_seg.models.necks.FRSKDBiFPN` (one
width for all levels); this module holds what they share.
"""
from collections import namedtuple
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule

from selfkd_seg.models.utils import (FastNormalizedFusion, MaxPool2dSame,
                                     resize_to)

#: What a self-teacher returns: ``pre`` / ``post`` are the per-level output
#: features before / after their ReLU (shallow to deep), ``logits`` the
#: self-teacher's class scores (``None`` without a classifier).
SelfTeacherOutput = namedtuple('SelfTeacherOutput', ['pre', 'post', 'logits'])


def conv1x1_block(in_channels: int, out_channels: int,
                  norm_cfg: dict) -> ConvModule:
    """FRSKD's 1x1 block: conv (no bias) + BN + ReLU."""
    return ConvModule(
        in_channels,
        out_channels,
        1,
        bias=False,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'))


class SeparableNode(nn.Sequential):
    """A BiFPN node: ``depth`` x (depthwise 3x3 + pointwise 1x1 + BN).

    ReLU sits *between* stages only, so the node ends in BN: its output is a
    pre-activation feature (what the Overhaul loss and its BN margins need).
    """

    def __init__(self, in_channels: int, out_channels: int, depth: int,
                 norm_cfg: dict):
        stages = []
        for k in range(depth):
            c_in = in_channels if k == 0 else out_channels
            layers = [nn.ReLU()] if k > 0 else []
            layers += [
                nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False),
                nn.Conv2d(c_in, out_channels, 1, bias=False),
                build_norm_layer(norm_cfg, out_channels)[1]
            ]
            stages.append(nn.Sequential(*layers))
        super().__init__(*stages)

    @property
    def last_norm(self) -> nn.Module:
        return self[-1][-1]


class FRSKDBiFPNLayer(nn.Module):
    """One bidirectional layer of the FRSKD self-teacher.

    With inputs ``F_1..F_n`` (shallow to deep), laterals ``L_i = lat_i(F_i)``
    and ``L2_i = lat2_i(F_i)``::

        P_n = L_n
        P_i = node(w1 relu(L_i) + w2 Up(relu(P_{i+1})))              i < n
        T_1 = P_1
        T_i = node(w1 relu(L2_i) + w2 relu(P_i) + w3 Down(relu(T_{i-1})))
        T_n = node(w1 relu(L2_n) + w2 Down(relu(T_{n-1})))

    and returns the pre-activation ``T_1..T_n``.  In a stacked layer (not the
    first) the inputs already have the output channels: ``lat`` is the
    identity there (as in the FRSKD code) and ``lat2`` maps ``d_i -> d_i`` (the
    code's ``lat2`` keeps ``c_i`` inputs, which breaks stacking when
    ``width != 1``).  ``lat2`` exists for levels 2..n only: ``T_1 = P_1``.

    Args:
        in_channels (Sequence[int]): Input channels per level.
        out_channels (Sequence[int]): Output channels ``d_i`` per level.
        first (bool): Whether this is the first layer (builds ``lat``).
        resample_conv (bool): Follow each Up/Down by a 1x1 block mapping the
            neighbour's channels to ``d_i`` (BiFPNc).
        depth (int): Depthwise-separable stages per node.
        upsample_mode (str): ``'nearest'`` (FRSKD code) or ``'bilinear'``
            (the paper's text).
        eps (float): Epsilon of the fast normalized fusion.
        norm_cfg (dict): Norm layer config.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int],
                 first: bool, resample_conv: bool, depth: int,
                 upsample_mode: str, eps: float, norm_cfg: dict):
        super().__init__()
        n = len(out_channels)
        self.upsample_mode = upsample_mode
        self.lat = nn.ModuleList(
            conv1x1_block(c, d, norm_cfg) if first else nn.Identity()
            for c, d in zip(in_channels, out_channels))
        self.lat2 = nn.ModuleList(
            conv1x1_block(in_channels[i], out_channels[i], norm_cfg)
            for i in range(1, n))

        def resample_block(src: int, dst: int) -> nn.Module:
            if resample_conv:
                return conv1x1_block(out_channels[src], out_channels[dst],
                                     norm_cfg)
            if out_channels[src] != out_channels[dst]:
                raise ValueError('a BiFPN without resample convs needs equal '
                                 f'channels per level, got {out_channels}')
            return nn.Identity()

        # Top-down nodes for levels 1..n-1 (index i), bottom-up for 2..n.
        self.up_convs = nn.ModuleList(
            resample_block(i + 1, i) for i in range(n - 1))
        self.up_nodes = nn.ModuleList(
            SeparableNode(out_channels[i], out_channels[i], depth, norm_cfg)
            for i in range(n - 1))
        self.up_fusions = nn.ModuleList(
            FastNormalizedFusion(2, eps) for _ in range(n - 1))
        self.down_sample = MaxPool2dSame(3, 2)
        self.down_convs = nn.ModuleList(
            resample_block(i - 1, i) for i in range(1, n))
        self.down_nodes = nn.ModuleList(
            SeparableNode(out_channels[i], out_channels[i], depth, norm_cfg)
            for i in range(1, n))
        self.down_fusions = nn.ModuleList(
            FastNormalizedFusion(3 if i < n - 1 else 2, eps)
            for i in range(1, n))

    def forward(self, feats: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        n = len(feats)
        lat = [conv(f) for conv, f in zip(self.lat, feats)]
        lat2 = [None] + [conv(f) for conv, f in zip(self.lat2, feats[1:])]

        # top-down
        p = [None] * n
        p[-1] = lat[-1]
        for i in range(n - 2, -1, -1):
            up = resize_to(
                F.relu(p[i + 1]), lat[i].shape[-2:], self.upsample_mode)
            p[i] = self.up_nodes[i](
                self.up_fusions[i]([F.relu(lat[i]), self.up_convs[i](up)]))

        # bottom-up
        t = [p[0]]
        for i in range(1, n):
            down = resize_to(
                self.down_sample(F.relu(t[-1])), lat2[i].shape[-2:])
            inputs = [F.relu(lat2[i])]
            if i < n - 1:
                inputs.append(F.relu(p[i]))
            inputs.append(self.down_convs[i - 1](down))
            t.append(self.down_nodes[i - 1](self.down_fusions[i - 1](inputs)))
        return t

    def output_norms(self) -> List[nn.Module]:
        """The BN layers that produce ``T_1..T_n`` (before their ReLU)."""
        return [self.up_nodes[0].last_norm
                ] + [node.last_norm for node in self.down_nodes]


class FRSKDSelfTeacher(BaseModule):
    """Stack of :class:`FRSKDBiFPNLayer` plus ReLU + GAP + Linear head.

    Subclasses only choose the per-level output channels and whether Up/Down
    are followed by a 1x1 block.

    ``forward(feats)`` returns :data:`SelfTeacherOutput` ``(pre, post,
    logits)``: ``pre`` are the last layer's ``T_i`` before ReLU, ``post =
    relu(pre)`` (the features FRSKD distils with attention transfer), and
    ``logits = Linear(GAP(relu(T_n)))``.  Stacked layers consume the previous
    layer's ``post`` features.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 resample_conv: bool,
                 num_layers: int = 1,
                 depth: int = 2,
                 upsample_mode: str = 'nearest',
                 eps: float = 1e-6,
                 num_classes: Optional[int] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        in_channels, out_channels = list(in_channels), list(out_channels)
        if len(in_channels) < 2:
            raise ValueError('the FRSKD self-teacher needs at least 2 levels, '
                             f'got in_channels={in_channels}')
        if num_layers < 1 or depth < 1:
            raise ValueError(f'num_layers and depth must be >= 1, got '
                             f'{num_layers} and {depth}')
        if upsample_mode not in ('nearest', 'bilinear'):
            raise ValueError("upsample_mode must be 'nearest' or 'bilinear', "
                             f'got {upsample_mode!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_classes = num_classes
        self.layers = nn.ModuleList(
            FRSKDBiFPNLayer(in_channels if k == 0 else out_channels,
                            out_channels, k == 0, resample_conv, depth,
                            upsample_mode, eps, norm_cfg)
            for k in range(num_layers))
        self.fc = nn.Linear(out_channels[-1], num_classes) \
            if num_classes is not None else None

    def forward(self, feats: Sequence[torch.Tensor]) -> SelfTeacherOutput:
        """Refine the classifier's stage features ``F_1..F_n``."""
        self._check_inputs(feats)
        post = list(feats)
        for layer in self.layers:
            pre = layer(post)
            post = [F.relu(f) for f in pre]
        logits = None
        if self.fc is not None:
            logits = self.fc(F.adaptive_avg_pool2d(post[-1], 1).flatten(1))
        return SelfTeacherOutput(pre, post, logits)

    def output_norms(self) -> List[nn.Module]:
        """BN layers before the ReLU of each output level (Overhaul margin)."""
        return self.layers[-1].output_norms()

    def _check_inputs(self, feats: Sequence[torch.Tensor]) -> None:
        if len(feats) != len(self.in_channels):
            raise ValueError(
                f'{type(self).__name__} expects {len(self.in_channels)} '
                f'feature levels, got {len(feats)}')
        got = [f.shape[1] for f in feats]
        if got != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: input channels {got} do not match '
                f'the expected in_channels {self.in_channels}')

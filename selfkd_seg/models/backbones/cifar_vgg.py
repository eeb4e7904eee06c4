"""VGG with BN for CIFAR (RepDistiller's vgg8/11/13/16/19, no FC layers)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer

from selfkd_seg.registry import MODELS
from .cifar_base import CIFARBackbone


def make_vgg_block(in_channels: int, widths: Sequence[int],
                   norm_cfg: dict) -> nn.Sequential:
    """conv3x3(bias) + norm + ReLU per width, without the last ReLU.

    The block ends in a norm layer so the caller sees its pre-ReLU output.
    The layout (conv, norm, relu, conv, norm, ...) gives the same parameter
    indices as RepDistiller's ``_make_layers``.
    """
    layers = []
    for width in widths:
        layers += [
            nn.Conv2d(in_channels, width, 3, padding=1),
            build_norm_layer(norm_cfg, width)[1],
            nn.ReLU(inplace=True)
        ]
        in_channels = width
    return nn.Sequential(*layers[:-1])


@MODELS.register_module()
class CIFARVGG(CIFARBackbone):
    """VGG-BN for 32x32 inputs, backbone only.

    From `Very Deep Convolutional Networks for Large-Scale Image Recognition
    <https://arxiv.org/abs/1409.1556>`_ in RepDistiller's CIFAR form
    (``models/vgg.py``, the ``*_bn`` models its zoo uses): five conv blocks
    (``block0`` ... ``block4``), 2x2 max-pools after blocks 0-2, no FC layers.

    Stages.  ``block0`` (64 channels at full resolution) is treated as the
    stem, like the stem conv of the ResNets; the 4 stages are ``block1`` ...
    ``block4`` (for 32x32 inputs: 16x16, 8x8, 4x4, 4x4), matching
    RepDistiller's ``f1..f4`` features and ``get_bn_before_relu``.  A stage's
    pre-activation output is its last norm layer's output, ``post ==
    relu(pre)``.  The stage input is max-pooled first (for stage 4 only if
    ``pool_before_last``).

    Archs (convs per block): ``'vgg8'`` (1, 1, 1, 1, 1), ``'vgg11'``
    (1, 1, 2, 2, 2), ``'vgg13'`` (2, 2, 2, 2, 2), ``'vgg16'`` (2, 2, 3, 3, 3),
    ``'vgg19'`` (2, 2, 4, 4, 4); widths 64, 128, 256, 512, 512.

    Args:
        arch (str): One of the names above.
        pool_before_last (bool): Max-pool before ``block4``.  RepDistiller does
            this only for 64x64 inputs (its ``h == 64`` test); False for CIFAR.
        out_indices (int | Sequence[int], optional): Stages whose post-ReLU
            features ``forward`` returns.  Defaults to the last stage.
        norm_cfg (dict): Norm layer config.  Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Defaults to He-normal
            (fan_out) convs with zero bias, norm weight 1 / bias 0.
    """
    block_widths = (64, 128, 256, 512, 512)
    arch_settings = {
        'vgg8': (1, 1, 1, 1, 1),
        'vgg11': (1, 1, 2, 2, 2),
        'vgg13': (2, 2, 2, 2, 2),
        'vgg16': (2, 2, 3, 3, 3),
        'vgg19': (2, 2, 4, 4, 4),
    }

    def __init__(self,
                 arch: str = 'vgg13',
                 pool_before_last: bool = False,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_settings:
            raise KeyError(f'Unknown CIFARVGG arch {arch!r}; choose one of '
                           f'{sorted(self.arch_settings)}')
        self.pool_before_last = pool_before_last
        in_channels = 3
        for i, (num_convs, width) in enumerate(
                zip(self.arch_settings[arch], self.block_widths)):
            self.add_module(
                f'block{i}',
                make_vgg_block(in_channels, [width] * num_convs, norm_cfg))
            in_channels = width
        self.stage_channels = self.block_widths[1:]
        self._init_out_indices(out_indices)

    @property
    def stages(self) -> List[nn.Sequential]:
        return [getattr(self, f'block{i + 1}') for i in range(4)]

    def forward_stages(
            self,
            x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        x = F.relu(self.block0(x))
        pre_feats, post_feats = [], []
        for i, block in enumerate(self.stages):
            if i < 3 or self.pool_before_last:
                x = F.max_pool2d(x, kernel_size=2, stride=2)
            pre = block(x)
            x = F.relu(pre)
            pre_feats.append(pre)
            post_feats.append(x)
        return pre_feats, post_feats

    def get_bn_before_relu(self) -> List[nn.Module]:
        """The last norm layer of ``block1`` ... ``block4``."""
        return [block[-1] for block in self.stages]

"""The classifier of the FRSKD authors' segmentation network (Table 4)."""
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from selfkd_seg.registry import MODELS
from ..necks.frskd_official_bifpn import conv_norm_act


@MODELS.register_module(codebases='mmseg')
class FRSKDSegHead(BaseDecodeHead):
    """``classifier1`` / ``classifier2`` of FRSKD's segmentation code.

    ``conv3x3(in_channels -> channels, bias) + BN + ReLU`` then a **3x3**
    ``conv_seg`` (``channels -> num_classes``, bias) on one level (P2 by
    default, ``in_index=0``); logits are upsampled to the label size by the
    base class. Compared with :class:`EfficientDetSegHead` (3 bias-free
    3x3 convs + Swish, dropout, 1x1 classifier) this is the head of the
    network behind the paper's Table 4 (docs/frskd_official_network.md).

    Defaults differing from :class:`BaseDecodeHead`: ``in_index=0``,
    ``dropout_ratio=0`` (the authors' head has no dropout), ``norm_cfg``
    BN with eps 1e-4 (the authors' ``BatchNorm2d(eps=1e-4, momentum=0.997)``;
    momentum kept at PyTorch's 0.1, see :class:`FRSKDSegBiFPN`) and
    ``init_cfg=None``: PyTorch's default init for both convs, as the
    authors' code (the base class would draw ``conv_seg`` from N(0, 0.01)).

    Args:
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels`` (int),
            ``channels`` (256 in the authors' code), ``num_classes``, ...).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault('in_index', 0)
        kwargs.setdefault('dropout_ratio', 0.)
        kwargs.setdefault('norm_cfg', dict(type='BN', eps=1e-4))
        kwargs.setdefault('init_cfg', None)
        super().__init__(**kwargs)
        if not isinstance(self.in_channels, int):
            raise ValueError('FRSKDSegHead reads one level: in_channels must '
                             f'be an int, got {self.in_channels}')
        self.conv = conv_norm_act(self.in_channels, self.channels, 3,
                                  self.norm_cfg, self.act_cfg)
        # the authors' classifier is a 3x3 conv (the base class builds 1x1)
        self.conv_seg = nn.Conv2d(
            self.channels, self.out_channels, kernel_size=3, padding=1)

    def forward(self, inputs):
        return self.cls_seg(self.conv(self._transform_inputs(inputs)))

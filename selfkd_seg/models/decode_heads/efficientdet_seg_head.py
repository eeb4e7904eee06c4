"""EfficientDet segmentation head: per-pixel classifier on BiFPN P2."""
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize

from selfkd_seg.registry import MODELS


@MODELS.register_module(codebases='mmseg')
class EfficientDetSegHead(BaseDecodeHead):
    """EfficientDet's semantic segmentation head.

    `EfficientDet: Scalable and Efficient Object Detection
    <https://arxiv.org/abs/1911.09070>`_ (segmentation section): the BiFPN
    keeps P2..P7 and pixels are classified from P2 only, by ``num_convs``
    conv3x3 + BN + activation layers and the 1x1 ``conv_seg``. The logits
    are upsampled to the label size by the base class's loss / predict path.

    By default the head reads one level (``in_index=0``: the finest BiFPN
    output). With ``fuse_levels=True`` it reads several levels
    (``input_transform='multiple_select'``, ``in_index`` and ``in_channels``
    lists of equal widths, finest first), upsamples the coarser ones
    bilinearly to the finest level's size and adds them before the convs.

    Unlike :class:`BaseDecodeHead`, ``norm_cfg`` defaults to EfficientDet's
    BN (momentum 0.01, eps 1e-3) and ``act_cfg`` to Swish; configs may pass
    e.g. SyncBN.

    Args:
        num_convs (int): Number of conv3x3 + BN + act layers before
            ``conv_seg``. Default: 3.
        fuse_levels (bool): Add the upsampled coarser levels to the finest
            one before the convs. Default: False.
        **kwargs: :class:`BaseDecodeHead` arguments (``in_channels``,
            ``channels``, ``num_classes``, ``dropout_ratio``, ...).
    """

    def __init__(self,
                 num_convs: int = 3,
                 fuse_levels: bool = False,
                 **kwargs):
        kwargs.setdefault('in_index', 0)
        kwargs.setdefault('norm_cfg', dict(type='BN', momentum=0.01, eps=1e-3))
        kwargs.setdefault('act_cfg', dict(type='Swish'))
        if fuse_levels:
            kwargs.setdefault('input_transform', 'multiple_select')
            if not isinstance(kwargs['in_index'], (list, tuple)):
                raise ValueError('fuse_levels=True reads several levels: '
                                 'in_index and in_channels must be lists, '
                                 f"got in_index={kwargs['in_index']!r}")
        super().__init__(**kwargs)
        if num_convs < 0:
            raise ValueError(f'num_convs must be >= 0, got {num_convs}')
        self.num_convs = num_convs
        self.fuse_levels = fuse_levels

        in_channels = self.in_channels
        if fuse_levels:
            if self.input_transform != 'multiple_select':
                raise ValueError('fuse_levels=True needs input_transform='
                                 f"'multiple_select', got "
                                 f'{self.input_transform!r}')
            if len(set(in_channels)) != 1:
                raise ValueError('fuse_levels=True adds levels, so they need '
                                 f'equal channels, got {in_channels}')
            in_channels = in_channels[0]
        elif not isinstance(in_channels, int):
            raise ValueError('in_channels must be an int (one level) unless '
                             f'fuse_levels=True, got {in_channels}')
        if num_convs == 0 and in_channels != self.channels:
            raise ValueError(f'num_convs=0 feeds conv_seg directly, so '
                             f'channels ({self.channels}) must equal '
                             f'in_channels ({in_channels})')

        self.convs = nn.Sequential(*[
            ConvModule(
                in_channels if i == 0 else self.channels,
                self.channels,
                3,
                padding=1,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfg) for i in range(num_convs)
        ])

    def forward(self, inputs):
        x = self._transform_inputs(inputs)
        if self.fuse_levels:
            fused = x[0]
            for coarser in x[1:]:
                fused = fused + resize(
                    coarser,
                    size=fused.shape[2:],
                    mode='bilinear',
                    align_corners=self.align_corners)
            x = fused
        return self.cls_seg(self.convs(x))

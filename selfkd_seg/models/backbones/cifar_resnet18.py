"""ImageNet-width ResNets with a CIFAR stem (FRSKD's CIFAR-ResNet18)."""
from typing import List, Optional, Sequence, Union

from mmcv.cnn import build_norm_layer

from selfkd_seg.registry import MODELS
from .cifar_base import CIFARBackbone
from .cifar_resnet import (BasicBlock, Bottleneck, ResidualStagesMixin,
                           conv3x3, make_res_layer)


@MODELS.register_module()
class CIFARResNet18(ResidualStagesMixin, CIFARBackbone):
    """ResNet-18/34/50 for 32x32 inputs: 3x3 stride-1 stem, no max-pool.

    The CIFAR classifier of `FRSKD <https://arxiv.org/abs/2103.08273>`_
    (``cifarresnet18`` in MingiJi/FRSKD) and RepDistiller's ``ResNet18`` /
    ``ResNet34`` / ``ResNet50`` (``models/resnetv2.py``), backbone only.  Four
    stages of widths 64/128/256/512 (x4 for the bottleneck ResNet-50) with
    strides 1, 2, 2, 2; the stem (conv + BN + ReLU) is not a stage.

    FRSKD's code applies each ReLU at the start of the next block instead of
    the end of the current one; that is the same function, and its returned
    ``relu(out_i)`` / ``out_i`` are exactly ``post_feats[i]`` /
    ``pre_feats[i]`` here.  Projection shortcuts are named ``downsample``
    (FRSKD's name; RepDistiller calls them ``shortcut``, the converter renames
    them).
    ``post == relu(pre)`` for every stage.

    Args:
        depth (int): 18 or 34 (basic blocks) or 50 (bottlenecks).
        out_indices (int | Sequence[int], optional): Stages whose post-ReLU
            features ``forward`` returns.  Defaults to the last stage.
        norm_cfg (dict): Norm layer config.  Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Defaults to He-normal
            (fan_out) convs, norm weight 1 / bias 0.
    """
    arch_settings = {
        18: (BasicBlock, (2, 2, 2, 2)),
        34: (BasicBlock, (3, 4, 6, 3)),
        50: (Bottleneck, (3, 4, 6, 3)),
    }
    base_channels = 64

    def __init__(self,
                 depth: int = 18,
                 out_indices: Optional[Union[int, Sequence[int]]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'CIFARResNet18 depth must be one of '
                           f'{sorted(self.arch_settings)}, got {depth!r}')
        block, stage_blocks = self.arch_settings[depth]

        self.conv1 = conv3x3(3, self.base_channels)
        self.bn1 = build_norm_layer(norm_cfg, self.base_channels)[1]
        in_channels = self.base_channels
        stage_channels = []
        for i, num_blocks in enumerate(stage_blocks):
            planes = self.base_channels * 2**i
            self.add_module(
                f'layer{i + 1}',
                make_res_layer(block, in_channels, planes, num_blocks,
                               1 if i == 0 else 2, norm_cfg))
            in_channels = planes * block.expansion
            stage_channels.append(in_channels)
        self.stage_channels = tuple(stage_channels)
        self._init_out_indices(out_indices)

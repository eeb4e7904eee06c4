"""FitNets hint loss (Romero et al., 2015)."""
from typing import Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule

from selfkd_seg.registry import MODELS
from .at_loss import Feats, as_feature_list


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """Regress student features onto teacher features with an MSE hint loss.

    `FitNets: Hints for Thin Deep Nets <https://arxiv.org/abs/1412.6550>`_.
    Each level has its own regressor (1x1 conv + BN + ReLU, student channels
    -> teacher channels, as in the FRSKD code's FitNet variant); the loss is
    the mean squared error to the detached teacher feature, summed over
    levels.  The regressors are trainable and belong to the loss module, so a
    model keeps this loss under a training-only attribute (``distill_losses``).

    Args:
        student_channels (int | Sequence[int]): Student channels per level.
        teacher_channels (int | Sequence[int]): Teacher channels per level.
        loss_weight (float): Multiplier of the summed loss. Default: 1.0.
        norm_cfg (dict): Norm layer of the regressors. Default: BN.
    """

    def __init__(self,
                 student_channels: Union[int, Sequence[int]],
                 teacher_channels: Union[int, Sequence[int]],
                 loss_weight: float = 1.0,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        s_ch = [student_channels] if isinstance(student_channels, int) \
            else list(student_channels)
        t_ch = [teacher_channels] if isinstance(teacher_channels, int) \
            else list(teacher_channels)
        if len(s_ch) != len(t_ch):
            raise ValueError(
                f'FitNetLoss: {len(s_ch)} student_channels {s_ch} but '
                f'{len(t_ch)} teacher_channels {t_ch}')
        self.student_channels, self.teacher_channels = s_ch, t_ch
        self.loss_weight = loss_weight
        self.regressors = nn.ModuleList(
            ConvModule(s, t, 1, bias=False, norm_cfg=norm_cfg)
            for s, t in zip(s_ch, t_ch))

    def forward(self, student_feats: Feats,
                teacher_feats: Feats) -> torch.Tensor:
        s_list, t_list = as_feature_list(student_feats, teacher_feats,
                                         'FitNetLoss')
        if len(s_list) != len(self.regressors):
            raise ValueError(f'FitNetLoss was built for {len(self.regressors)}'
                             f' levels, got {len(s_list)}')
        loss = 0.
        for level, (reg, s,
                    t) in enumerate(zip(self.regressors, s_list, t_list)):
            if s.shape[1] != self.student_channels[level]:
                raise ValueError(
                    f'FitNetLoss level {level}: expected '
                    f'{self.student_channels[level]} student channels, got '
                    f'{s.shape[1]}')
            hint = reg(s).float()
            target = t.detach().float()
            if hint.shape != target.shape:
                raise ValueError(
                    f'FitNetLoss level {level}: regressed student shape '
                    f'{tuple(hint.shape)} != teacher shape '
                    f'{tuple(target.shape)}')
            loss = loss + F.mse_loss(hint, target)
        return self.loss_weight * loss

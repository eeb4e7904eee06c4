"""Attention transfer loss (Zagoruyko & Komodakis, 2017)."""
from typing import List, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from selfkd_seg.registry import MODELS

Feats = Union[torch.Tensor, Sequence[torch.Tensor]]


def as_feature_list(student: Feats, teacher: Feats, name: str) -> tuple:
    """Turn a tensor or a list of tensors into two equally long lists."""
    s_list = [student] if torch.is_tensor(student) else list(student)
    t_list = [teacher] if torch.is_tensor(teacher) else list(teacher)
    if len(s_list) != len(t_list):
        raise ValueError(f'{name}: got {len(s_list)} student levels but '
                         f'{len(t_list)} teacher levels')
    if not s_list:
        raise ValueError(f'{name}: no feature levels given')
    return s_list, t_list


def attention_map(feat: torch.Tensor) -> torch.Tensor:
    """Spatial attention ``a(f) = normalize(mean_c(f^2))`` as ``(B, H*W)``."""
    return F.normalize(feat.pow(2).mean(1).flatten(1), dim=1)


@MODELS.register_module()
class ATLoss(nn.Module):
    """Attention transfer between feature maps, summed over levels.

    `Paying More Attention to Attention
    <https://arxiv.org/abs/1612.03928>`_, as used by FRSKD: per level
    ``mean((a(s) - a(t))^2)`` with ``a(f) = normalize(mean_c(f^2))``, summed
    over the levels.  Channel counts may differ (the map averages them out).
    When a level's spatial sizes differ, the larger feature map is
    adaptive-average-pooled to the smaller size before its attention map is
    taken (as RepDistiller's AT does).  The teacher side is detached; the
    loss is computed in float32.

    Args:
        loss_weight (float): Multiplier of the summed loss. Default: 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, student_feats: Feats,
                teacher_feats: Feats) -> torch.Tensor:
        """Args are a ``(B, C, H, W)`` tensor or a list of them (per level)."""
        s_list, t_list = as_feature_list(student_feats, teacher_feats,
                                         'ATLoss')
        loss = 0.
        for level, (s, t) in enumerate(zip(s_list, t_list)):
            s, t = s.float(), t.detach().float()
            if s.dim() != 4 or t.dim() != 4 or s.shape[0] != t.shape[0]:
                raise ValueError(
                    f'ATLoss level {level}: expected (B, C, H, W) maps with '
                    f'the same batch size, got {tuple(s.shape)} and '
                    f'{tuple(t.shape)}')
            s, t = _pool_to_common_size(s, t)
            loss = loss + (attention_map(s) - attention_map(t)).pow(2).mean()
        return self.loss_weight * loss

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'


def _pool_to_common_size(s: torch.Tensor,
                         t: torch.Tensor) -> List[torch.Tensor]:
    size = (min(s.shape[2], t.shape[2]), min(s.shape[3], t.shape[3]))
    if tuple(s.shape[2:]) != size:
        s = F.adaptive_avg_pool2d(s, size)
    if tuple(t.shape[2:]) != size:
        t = F.adaptive_avg_pool2d(t, size)
    return s, t

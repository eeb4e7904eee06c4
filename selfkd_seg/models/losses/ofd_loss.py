"""Overhaul of feature distillation: margin target + partial L2 (Heo et
al.)."""
from typing import Sequence, Union

import torch
import torch.nn as nn

from selfkd_seg.registry import MODELS
from .at_loss import Feats


@MODELS.register_module()
class OFDLoss(nn.Module):
    """Partial L2 distance to the margin-clipped teacher pre-ReLU feature.

    `A Comprehensive Overhaul of Feature Distillation
    <https://arxiv.org/abs/1904.01866>`_.  With the teacher target
    ``t = max(teacher, margin)`` every element contributes ``(s - t)^2``
    except where ``s <= t <= 0``: there the student is already at least as
    negative as the teacher and the ReLU makes both zero, so the student is
    not pushed (Overhaul's mask ``(s > t) | (t > 0)``).  The sum over all
    elements is divided by the batch size and ``mul_factor`` (Overhaul: 1000).

    Both feature maps are pre-ReLU.  The teacher is detached and the loss is
    computed in float32.  Lists of levels (with a list of margins) are summed.

    Args:
        loss_weight (float): Multiplier of the loss. Default: 1.0.
        mul_factor (float): Extra divisor after the batch mean. Default: 1000.
    """

    def __init__(self, loss_weight: float = 1.0, mul_factor: float = 1000.0):
        super().__init__()
        if mul_factor <= 0:
            raise ValueError(f'mul_factor must be > 0, got {mul_factor}')
        self.loss_weight = loss_weight
        self.mul_factor = mul_factor

    def forward(
            self, student_feat: Feats, teacher_feat: Feats,
            margin: Union[torch.Tensor,
                          Sequence[torch.Tensor]]) -> torch.Tensor:
        """Compute the loss.

        Args:
            student_feat (Tensor | list[Tensor]): ``(B, C, H, W)`` pre-ReLU.
            teacher_feat (Tensor | list[Tensor]): Same shape(s), pre-ReLU.
            margin (Tensor | list[Tensor]): Per-channel margin ``(C,)`` or
                any tensor broadcastable to the feature (one per level).
        """
        if torch.is_tensor(student_feat):
            student_feat, teacher_feat = [student_feat], [teacher_feat]
            margin = [margin]
        if not (len(student_feat) == len(teacher_feat) == len(margin)):
            raise ValueError(
                f'OFDLoss: got {len(student_feat)} student levels, '
                f'{len(teacher_feat)} teacher levels and {len(margin)} '
                'margins; they must match')
        loss = 0.
        for level, (s, t,
                    m) in enumerate(zip(student_feat, teacher_feat, margin)):
            loss = loss + self._level_loss(s, t, m, level)
        return self.loss_weight * loss / self.mul_factor

    @staticmethod
    def _level_loss(s: torch.Tensor, t: torch.Tensor, m: torch.Tensor,
                    level: int) -> torch.Tensor:
        if s.shape != t.shape:
            raise ValueError(
                f'OFDLoss level {level}: student shape {tuple(s.shape)} != '
                f'teacher shape {tuple(t.shape)}')
        s, t = s.float(), t.detach().float()
        m = torch.as_tensor(m, device=s.device).detach().float()
        if m.dim() == 1 and s.dim() == 4:
            if m.numel() != s.shape[1]:
                raise ValueError(
                    f'OFDLoss level {level}: margin has {m.numel()} channels,'
                    f' the features have {s.shape[1]}')
            m = m.view(1, -1, 1, 1)
        target = torch.max(t, m)
        pushed = (s > target) | (target > 0)
        sq = (s - target).pow(2) * pushed.to(s.dtype)
        return sq.sum() / s.shape[0]

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'mul_factor={self.mul_factor}')

"""Distil only where the self-teacher leads (beyond the FRSKD paper).

FRSKD assumes its self-teacher knows more than the student.  From scratch at
small budgets it does not (issue 20: the self-teacher's CE stays at or above
the student's), and distilling then only disturbs the student.  The gate
keeps the distillation terms to where the self-teacher is ahead:

* **per pixel** (``pixel``): the KD term counts only the pixels where the
  self-teacher is right (``'teacher_correct'``: its arg-max is the label) or
  more confident than the student on the true class
  (``'teacher_more_confident'``);
* **per run** (``lead=True``): both weights (alpha, beta) are multiplied by
  ``clamp(lead / lead_margin, 0, 1)``, where ``lead`` is a running mean of
  the self-teacher's relative train CE lead ``(CE_student - CE_teacher) /
  CE_student``; 0 while the self-teacher is not ahead, full weight once its
  CE is ``lead_margin`` (default 10 %) below the student's;
* **into the trunk** (``trunk_grad=True``): the self-teacher's own CE
  reaches the student's features with its gradient multiplied by the same
  factor (the forward is unchanged), so a self-teacher that does not lead
  does not pull the shared features either (issue 20, mechanism (a)).

With the factor at 0 the self-teacher reads *detached* student features
and both distillation terms are skipped, so the student trains exactly as
the baseline: no gradient (not even a zero one, which weight decay and
momentum would act on) reaches the student's parameters from the
self-teacher, and the self-teacher draws its random numbers from its own
stream (:class:`~selfkd_seg.models.utils.private_rng.PrivateRandomStream`).
A run whose gate stays closed reproduces the baseline's student bit for bit
(tested through the runner; with gradient *value* clipping, as every config
here: a global-norm clip would let the self-teacher's gradients change the
norm). Under DDP a gated model needs ``find_unused_parameters=True`` (the
gated configs set it): while the gate is closed, the student parameters only
the self-teacher reaches get no gradient.
"""
from typing import List, Optional, Sequence

import torch
import torch.distributed as dist
import torch.nn as nn
from torch import Tensor

PIXEL_RULES = ('teacher_correct', 'teacher_more_confident')
LEAD_SOURCES = ('train_ce', 'held_out')


class DistillGate(nn.Module):
    """The gate of :class:`FRSKDSegmentor` (``gate=dict(...)``).

    Args:
        pixel (str, optional): ``None`` (every valid pixel), or one of
            ``'teacher_correct'``, ``'teacher_more_confident'``.
            Default: 'teacher_correct'.
        lead (bool): Scale alpha and beta by the measured lead.
            Default: True.
        lead_margin (float): The lead at which the weights reach full
            value (> 0): a relative CE lead with ``lead_source='train_ce'``,
            mIoU points with ``'held_out'``. Default: 0.1.
        lead_source (str): What "the self-teacher leads" is measured by:
            ``'train_ce'`` (the running relative train CE lead, both CEs
            over the same labelled pixels) or ``'held_out'`` (the
            self-teacher's mIoU minus the student's on a held-out part of
            the *training* set, as :class:`SelfTeacherLeadHook` with
            ``held_out=...`` measures it every ``interval`` iterations and
            writes here; 0, i.e. closed, before its first measurement).
            Never the val split: the numbers reported come from there.
            Default: 'train_ce'.
        momentum (float): Weight of the newest batch in the running lead,
            in (0, 1]. Default: 0.1.
        trunk_grad (bool): Scale the self-teacher's gradient into the
            student's features by the factor too (needs ``lead``).
            Default: True.

    The running lead is a buffer (``lead_ema``), so it is saved in
    checkpoints and a resumed run continues it; it lives under the
    training-only attribute ``distill_gate`` and is not exported with the
    student.  Under DDP the per-batch lead is averaged over the ranks first,
    so every rank uses the same factor.
    """

    def __init__(self,
                 pixel: Optional[str] = 'teacher_correct',
                 lead: bool = True,
                 lead_margin: float = 0.1,
                 momentum: float = 0.1,
                 trunk_grad: bool = True,
                 lead_source: str = 'train_ce'):
        super().__init__()
        if pixel is not None and pixel not in PIXEL_RULES:
            raise ValueError(f'gate.pixel must be None or one of '
                             f'{PIXEL_RULES}, got {pixel!r}')
        if not lead_margin > 0:
            raise ValueError(f'gate.lead_margin must be > 0, got '
                             f'{lead_margin}')
        if not 0 < momentum <= 1:
            raise ValueError(f'gate.momentum must be in (0, 1], got '
                             f'{momentum}')
        if lead_source == 'val':
            raise ValueError(
                "gate.lead_source='val' is gone: a gate opened by the val "
                'lead chooses on the split whose mIoU is reported. Use '
                "lead_source='held_out' with SelfTeacherLeadHook(held_out="
                '...), which measures the lead on a held-out part of the '
                'training set (docs/frskd_regimes.md)')
        if lead_source not in LEAD_SOURCES:
            raise ValueError(f'gate.lead_source must be one of '
                             f'{LEAD_SOURCES}, got {lead_source!r}')
        self.lead_source = lead_source
        self.pixel = pixel
        self.lead = bool(lead)
        self.lead_margin = float(lead_margin)
        self.momentum = float(momentum)
        self.trunk_grad = bool(trunk_grad) and self.lead
        self.register_buffer('lead_ema', torch.zeros(()))
        if lead_source == 'held_out':
            # checkpointed: a resumed run keeps the last measured lead
            self.register_buffer('held_out_lead', torch.zeros(()))

    def set_held_out_lead(self, lead: float) -> None:
        """The self-teacher's held-out lead in mIoU points (``'held_out'``
        source; written by :class:`SelfTeacherLeadHook`)."""
        if self.lead_source != 'held_out':
            raise RuntimeError('set_held_out_lead: this gate opens on '
                               f'lead_source={self.lead_source!r}')
        self.held_out_lead.fill_(float(lead))

    @torch.no_grad()
    def update(self, student_ce: Tensor, teacher_ce: Tensor) -> Tensor:
        """Fold one batch's relative CE lead, clamped to [-1, 1] (one bad
        batch cannot shut the gate for long), into the running lead;
        returns it. Only in training mode with ``lead`` (in eval mode or
        without ``lead`` nothing is exchanged between ranks)."""
        rel = ((student_ce - teacher_ce) /
               student_ce.clamp(min=1e-12)).detach().float().clamp(-1., 1.)
        if not (self.training and self.lead):
            return rel
        if dist.is_available() and dist.is_initialized():
            rel = rel.clone()
            dist.all_reduce(rel)
            rel /= dist.get_world_size()
        self.lead_ema.mul_(1 - self.momentum).add_(self.momentum *
                                                   rel.to(self.lead_ema))
        return rel

    def scale_grad(self, feats: Sequence[Tensor],
                   factor: float) -> List[Tensor]:
        """``feats`` for the self-teacher: the same values, the gradient
        back into the student multiplied by ``factor`` (``trunk_grad``);
        at factor 0 detached (no zero gradients in the student's graph)."""
        if not self.trunk_grad or factor >= 1.0:
            return list(feats)
        if factor <= 0.0:
            return [f.detach() for f in feats]
        return [f.detach() + factor * (f - f.detach()) for f in feats]

    def factor(self) -> float:
        """The multiplier of alpha and beta: 1 without ``lead``."""
        if not self.lead:
            return 1.0
        lead = (
            self.held_out_lead
            if self.lead_source == 'held_out' else self.lead_ema)
        return float((lead / self.lead_margin).clamp(0.0, 1.0))

    @torch.no_grad()
    def pixel_mask(self, labels: Tensor, student_logits: Tensor,
                   teacher_logits: Tensor, valid: Tensor) -> Tensor:
        """Pixels the KD term keeps: ``valid`` and the pixel rule.

        Args:
            labels (Tensor): ``(B, H, W)`` class indices.
            student_logits, teacher_logits (Tensor): ``(B, C, H, W)`` at the
                labels' size.
            valid (Tensor): ``(B, H, W)`` bool, the non-ignored pixels.
        """
        if self.pixel is None:
            return valid
        target = labels.clamp(0, teacher_logits.shape[1] - 1).long()
        if self.pixel == 'teacher_correct':
            keep = teacher_logits.argmax(1) == target
        else:  # teacher_more_confident
            p_t = teacher_logits.float().softmax(1).gather(1, target[:,
                                                                     None])[:,
                                                                            0]
            p_s = student_logits.float().softmax(1).gather(1, target[:,
                                                                     None])[:,
                                                                            0]
            keep = p_t > p_s
        return valid & keep

    def extra_repr(self) -> str:
        return (f'pixel={self.pixel!r}, lead={self.lead}, '
                f'lead_margin={self.lead_margin}, momentum={self.momentum}, '
                f'trunk_grad={self.trunk_grad}, '
                f'lead_source={self.lead_source!r}')

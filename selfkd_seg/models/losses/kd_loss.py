"""Soft-label knowledge distillation (Hinton et al., 2015)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from selfkd_seg.registry import MODELS

NORMALIZERS = ('valid', 'all')


@MODELS.register_module()
class KDLoss(nn.Module):
    """KL divergence between temperature-softened class distributions.

    `Distilling the Knowledge in a Neural Network
    <https://arxiv.org/abs/1503.02531>`_.

    * Image logits ``(B, C)``:
      ``KL(softmax(t/T) || softmax(s/T))`` summed over classes and samples,
      divided by ``B`` and multiplied by ``T^2`` (the FRSKD code:
      ``kl_div(log_softmax(s/T), softmax(t/T), reduction='sum') * T^2 / B``).
    * Pixel logits ``(B, C, H, W)``: per-pixel KL summed over classes and
      over the valid pixels, times ``T^2``, divided by the number of valid
      pixels (``normalizer='valid'``, a mean over the labelled pixels) or by
      all ``B * H * W`` pixels (``normalizer='all'``).  The FRSKD authors'
      segmentation code (``segmentation/utils/distill.py``, ``DistillKL``)
      divides by ``B * H * W``; it also sums over every pixel, the ignored
      (255) ones included, while here the pixels outside ``valid_mask`` never
      count.

    Without ``valid_mask`` both normalizers divide by all samples / pixels.
    The teacher side is detached, and everything is computed in float32 so the
    loss is safe under mixed precision.  When every pixel (or sample) is
    masked out the loss is an exact zero that still belongs to the graph.

    Args:
        temperature (float): Softmax temperature T. Default: 4.0.
        loss_weight (float): Multiplier of the loss. Default: 1.0.
        normalizer (str): What the masked sum of the KL is divided by:
            ``'valid'`` the number of samples / pixels in ``valid_mask``,
            ``'all'`` the number of all samples / pixels (``B`` or
            ``B * H * W``, the FRSKD authors' segmentation code).
            Default: 'valid'.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 normalizer: str = 'valid'):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if normalizer not in NORMALIZERS:
            raise ValueError(f'KDLoss: normalizer must be one of '
                             f'{NORMALIZERS}, got {normalizer!r}')
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.normalizer = normalizer

    def forward(self,
                student_logits: torch.Tensor,
                teacher_logits: torch.Tensor,
                valid_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            student_logits (Tensor): ``(B, C)`` or ``(B, C, H, W)``.
            teacher_logits (Tensor): Same shape as ``student_logits``.
            valid_mask (Tensor, optional): Bool mask of the samples ``(B,)``
                or pixels ``(B, H, W)`` that count; ``None`` keeps all.
        """
        if student_logits.dim() not in (2, 4):
            raise ValueError('KDLoss expects (B, C) or (B, C, H, W) logits, '
                             f'got shape {tuple(student_logits.shape)}')
        if student_logits.shape != teacher_logits.shape:
            raise ValueError(
                'KDLoss: student and teacher logits differ in shape: '
                f'{tuple(student_logits.shape)} vs '
                f'{tuple(teacher_logits.shape)} (resize the logits to the '
                'same spatial size before distilling)')
        T = self.temperature
        log_p_s = F.log_softmax(student_logits.float() / T, dim=1)
        log_p_t = F.log_softmax(teacher_logits.detach().float() / T, dim=1)
        # KL per sample / pixel, summed over the class dimension.
        kl = F.kl_div(
            log_p_s, log_p_t, reduction='none', log_target=True).sum(1)

        if valid_mask is None:
            loss = kl.mean() if kl.dim() == 3 else kl.sum() / kl.shape[0]
        else:
            if valid_mask.shape != kl.shape:
                raise ValueError(
                    f'KDLoss: valid_mask has shape {tuple(valid_mask.shape)}, '
                    f'expected {tuple(kl.shape)}')
            mask = valid_mask.to(kl.dtype)
            if self.normalizer == 'all':
                loss = (kl * mask).sum() / kl.numel()
            else:
                # clamp: an all-ignored batch gives 0 (not NaN) and keeps
                # the graph.
                loss = (kl * mask).sum() / mask.sum().clamp(min=1.0)
        return self.loss_weight * loss * T**2

    def extra_repr(self) -> str:
        return (f'temperature={self.temperature}, '
                f'loss_weight={self.loss_weight}, '
                f'normalizer={self.normalizer!r}')

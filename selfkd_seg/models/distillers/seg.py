"""What segmentation distillers share: neck levels and per-pixel KD."""
from typing import List, Optional

import torch
from mmseg.models.utils import resize
from torch import Tensor


def neck_level_channels(model) -> Optional[List[int]]:
    """Channels of each output level of ``model.neck`` (None if unknown)."""
    neck = getattr(model, 'neck', None)
    out_channels = getattr(neck, 'out_channels', None)
    if out_channels is None:
        return None
    if not isinstance(out_channels, int):
        return list(out_channels)
    if hasattr(neck, 'min_level') and hasattr(neck, 'max_level'):
        return [out_channels] * (neck.max_level - neck.min_level + 1)
    if hasattr(neck, 'num_outs'):
        return [out_channels] * neck.num_outs
    return None


def pixel_kd(model, student_logits: Tensor, teacher_logits: Tensor,
             data_samples, gate=None) -> Tensor:
    """``model.distill_losses['kd']`` per pixel at label resolution, ignoring
    the decode head's ``ignore_index`` (with ``KDLoss(normalizer='all')``,
    as the FRSKD authors' code: every pixel counts, ignored ones included).

    With a ``gate`` (:class:`~selfkd_seg.models.distillers.DistillGate`)
    only the pixels its rule keeps count, and the loss is the KD loss's
    normalisation over those; the kept fraction of the valid pixels is
    stored in ``gate.last_kept`` for logging.
    """
    labels = torch.stack([s.gt_sem_seg.data for s in data_samples]).squeeze(1)
    student, teacher = (
        resize(x, labels.shape[-2:], mode='bilinear',
               align_corners=model.align_corners)
        for x in (student_logits, teacher_logits))
    kd = model.distill_losses['kd']
    if gate is None and getattr(kd, 'normalizer', 'valid') == 'all':
        # the FRSKD authors' DistillKL: every pixel, ignored ones included,
        # summed and divided by B * H * W
        return kd(student, teacher)
    valid = labels != model.decode_head.ignore_index
    if gate is not None:
        keep = gate.pixel_mask(labels, student.detach(), teacher.detach(),
                               valid)
        gate.last_kept = (keep.sum() / valid.sum().clamp(min=1)).detach()
        valid = keep
    return kd(student, teacher, valid)

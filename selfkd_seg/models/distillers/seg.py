"""What segmentation distillers share: feature levels and per-pixel KD."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
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


def level_shapes(model, size: int = 128) -> List[Tuple[int, tuple]]:
    """``(channels, (h, w))`` of each ``model.extract_feat`` output for a
    ``size`` x ``size`` zero image: one no-grad forward in eval mode (the
    model's mode is restored), drawing no random numbers. Works for any
    mmseg ``EncoderDecoder``, with or without a neck."""
    in_channels = getattr(model.backbone, 'in_channels', 3)
    if not isinstance(in_channels, int):
        in_channels = 3
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            feats = model.extract_feat(
                torch.zeros(1, in_channels, size, size))
    except Exception as err:
        raise RuntimeError(
            f'{type(model).__name__}: the probe forward of a {size}x{size} '
            f'image through the model failed ({err}): either its config is '
            'inconsistent, or it needs another input size') from err
    finally:
        model.train(was_training)
    if torch.is_tensor(feats):
        feats = [feats]
    return [(int(f.shape[1]), tuple(int(s) for s in f.shape[-2:]))
            for f in feats]


def level_channels(model) -> List[int]:
    """Channels of each ``extract_feat`` output: the neck's declared
    widths (:func:`neck_level_channels`) or else a probe forward
    (:func:`level_shapes`)."""
    channels = neck_level_channels(model)
    if channels is None:
        channels = [c for c, _ in level_shapes(model)]
    return channels


def _labels(data_samples) -> Tensor:
    """``(B, H, W)`` class indices of the batch."""
    return torch.stack([s.gt_sem_seg.data for s in data_samples]).squeeze(1)


def _last_head(model):
    head = model.decode_head
    return head[-1] if isinstance(head, nn.ModuleList) else head


@torch.no_grad()
def pixel_ce_pair(model, student_logits: Tensor, teacher_logits: Tensor,
                  data_samples) -> Tuple[Tensor, Tensor]:
    """Student and self-teacher CE over the same pixels: every labelled
    pixel at label resolution, unweighted (no pixel sampler such as OHEM,
    no class weights), detached. What the CE lead compares."""
    labels = _labels(data_samples).long()
    valid = labels != _last_head(model).ignore_index
    count = valid.sum().clamp(min=1)
    ces = []
    for logits in (student_logits, teacher_logits):
        logits = resize(logits.detach().float(), labels.shape[-2:],
                        mode='bilinear', align_corners=model.align_corners)
        ce = F.cross_entropy(logits, labels.clamp(0, logits.shape[1] - 1),
                             reduction='none')
        ces.append((ce * valid).sum() / count)
    return ces[0], ces[1]


def pixel_kd(model, student_logits: Tensor, teacher_logits: Tensor,
             data_samples, gate=None) -> Tensor:
    """``model.distill_losses['kd']`` per pixel at label resolution, ignoring
    the decode head's ``ignore_index`` (with ``KDLoss(normalizer='all')``,
    as the FRSKD authors' code: every pixel counts, ignored ones included).

    With a ``gate`` (:class:`~selfkd_seg.models.distillers.DistillGate`)
    only the pixels its rule keeps count, each weighing what it weighs
    without the gate (``normalizer='valid'``: 1 / valid pixels, not
    1 / kept pixels; ``'all'``: 1 / all pixels), so ``alpha`` means the
    same with and without the gate; the kept fraction of the valid pixels
    is stored in ``gate.last_kept`` for logging.
    """
    labels = _labels(data_samples)
    student, teacher = (
        resize(x, labels.shape[-2:], mode='bilinear',
               align_corners=model.align_corners)
        for x in (student_logits, teacher_logits))
    kd = model.distill_losses['kd']
    if gate is None and getattr(kd, 'normalizer', 'valid') == 'all':
        # the FRSKD authors' DistillKL: every pixel, ignored ones included,
        # summed and divided by B * H * W
        return kd(student, teacher)
    # a cascade: its last stage's ignore index
    valid = labels != _last_head(model).ignore_index
    if gate is not None:
        keep = gate.pixel_mask(labels, student.detach(), teacher.detach(),
                               valid)
        kept = keep.sum() / valid.sum().clamp(min=1)
        gate.last_kept = kept.detach()
        loss = kd(student, teacher, keep)
        if getattr(kd, 'normalizer', 'valid') == 'valid':
            # KDLoss divided by the kept pixels: back to the valid ones
            loss = loss * kept
        return loss
    return kd(student, teacher, valid)

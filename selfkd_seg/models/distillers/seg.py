"""What segmentation distillers share: feature levels and per-pixel KD.

The KD helpers take tensors (logits, labels, the ignore index), not the
model: a distiller passes what its head runner says.
"""
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.utils import resize
from torch import Tensor

from selfkd_seg.models.losses.dense import match_spatial_size


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
            feats = model.extract_feat(torch.zeros(1, in_channels, size, size))
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


def seg_labels(data_samples) -> Tensor:
    """``(B, H, W)`` class indices of the batch."""
    return torch.stack([s.gt_sem_seg.data for s in data_samples]).squeeze(1)


@torch.no_grad()
def pixel_ce_pair(student_logits: Tensor, teacher_logits: Tensor,
                  labels: Tensor, ignore_index: int,
                  align_corners: bool) -> Tuple[Tensor, Tensor]:
    """Student and self-teacher CE over the same pixels: every labelled
    pixel of ``labels`` (``(B, H, W)``, ``ignore_index`` excluded), logits
    resized to the labels' size, unweighted (no pixel sampler such as OHEM,
    no class weights), detached. What the CE lead compares."""
    labels = labels.long()
    valid = labels != ignore_index
    count = valid.sum().clamp(min=1)
    ces = []
    for logits in (student_logits, teacher_logits):
        logits = resize(
            logits.detach().float(),
            labels.shape[-2:],
            mode='bilinear',
            align_corners=align_corners)
        ce = F.cross_entropy(
            logits, labels.clamp(0, logits.shape[1] - 1), reduction='none')
        ces.append((ce * valid).sum() / count)
    return ces[0], ces[1]


def _labels_at(labels: Tensor, size) -> Tensor:
    """``(B, H, W)`` labels at ``size`` (nearest, as mmseg resizes labels)."""
    if tuple(labels.shape[-2:]) == tuple(size):
        return labels
    return F.interpolate(
        labels[:, None].float(), size=tuple(size),
        mode='nearest')[:, 0].to(labels.dtype)


def excludes_ignored(kd_loss: nn.Module) -> bool:
    """Whether :func:`pixel_kd` masks the ``ignore_index`` pixels out for
    ``kd_loss``: its ``exclude_ignored`` (:class:`CWDLoss`,
    :class:`DISTLoss`), else ``KDLoss.normalizer != 'all'``."""
    if hasattr(kd_loss, 'exclude_ignored'):
        return bool(kd_loss.exclude_ignored)
    return getattr(kd_loss, 'normalizer', 'valid') != 'all'


def pixel_kd(
        kd_loss: nn.Module,
        student_logits: Tensor,
        teacher_logits: Tensor,
        labels: Tensor,
        ignore_index: int,
        align_corners: bool,
        pixel_mask: Optional[Callable] = None
) -> Tuple[Tensor, Optional[Tensor]]:
    """``kd_loss`` per pixel, ignoring ``ignore_index`` (with
    ``KDLoss(normalizer='all')``, as the FRSKD authors' code: every pixel
    counts, ignored ones included).

    Where: the loss's ``resolution`` attribute. ``'labels'`` (the default,
    :class:`KDLoss`): both logits resized to the size of ``labels``
    (``(B, H, W)``). ``'logits'`` (:class:`CWDLoss`, :class:`DISTLoss`, as
    their authors): at the teacher logits' own size, the student's resized
    to it when they differ by an integer factor (else a ``ValueError``
    naming both shapes), the labels resized to it (nearest).

    Which pixels: ``excludes_ignored(kd_loss)``; every pixel of the map
    counts, the ignored ones included, when it is False.

    ``pixel_mask(labels, student, teacher, valid) -> keep`` (a gate's rule,
    :meth:`DistillGate.pixel_mask`) keeps only some pixels (with a gate the
    ignored pixels never count). For a per-pixel mean (``KDLoss``) each
    kept pixel weighs what it weighs without the rule
    (``normalizer='valid'``: 1 / valid pixels, not 1 / kept pixels;
    ``'all'``: 1 / all pixels), so ``alpha`` means the same with and
    without a gate. A loss that is no mean over pixels (``per_pixel``
    False: CWD's spatial distributions, DIST's correlations) is computed
    over the kept pixels and not rescaled.

    Returns:
        ``(loss, kept)``: ``kept`` is the fraction of the valid pixels kept
        (detached), None without ``pixel_mask``.
    """
    resolution = getattr(kd_loss, 'resolution', 'labels')
    if resolution == 'labels':
        student, teacher = (
            resize(
                x,
                labels.shape[-2:],
                mode='bilinear',
                align_corners=align_corners)
            for x in (student_logits, teacher_logits))
    elif resolution == 'logits':
        teacher = teacher_logits
        student = match_spatial_size(student_logits, teacher_logits,
                                     type(kd_loss).__name__, align_corners)
        labels = _labels_at(labels, teacher.shape[-2:])
    else:
        raise ValueError(f'{type(kd_loss).__name__}.resolution must be '
                         f"'labels' or 'logits', got {resolution!r}")
    if pixel_mask is None and not excludes_ignored(kd_loss):
        # the FRSKD authors' DistillKL (KDLoss, normalizer='all'), the CWD
        # and DIST authors' code: every pixel, ignored ones included
        return kd_loss(student, teacher), None
    valid = labels != ignore_index
    if pixel_mask is None:
        return kd_loss(student, teacher, valid), None
    keep = pixel_mask(labels, student.detach(), teacher.detach(), valid)
    kept = keep.sum() / valid.sum().clamp(min=1)
    loss = kd_loss(student, teacher, keep)
    if getattr(kd_loss, 'per_pixel', True) and getattr(kd_loss, 'normalizer',
                                                       'valid') == 'valid':
        # KDLoss divided by the kept pixels: back to the valid ones
        loss = loss * kept
    return loss, kept.detach()

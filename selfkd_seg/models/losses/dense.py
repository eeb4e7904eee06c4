"""What the dense (per-map) distillation losses share: levels, sizes, masks.

:class:`~.cwd_loss.CWDLoss` and :class:`~.dist_loss.DISTLoss` compare a
student map with a teacher map of the same channels: logits of two
segmentors (or of a student and its self-teacher) or feature levels mapped
onto the teacher's channels by an integrator.  This module checks their
shapes, brings the student to the teacher's spatial size when the two differ
by an integer factor, and says clearly why it cannot otherwise.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

Maps = Union[Tensor, Sequence[Tensor]]

# where pixel_kd evaluates a dense loss: at the labels' size (KDLoss) or at
# the teacher logits' own size (the CWD and DIST authors' code)
RESOLUTIONS = ('labels', 'logits')


def integer_factor(student_size: Sequence[int],
                   teacher_size: Sequence[int]) -> Optional[int]:
    """The factor ``k`` by which one ``(h, w)`` size is the other's ``k``
    times in both dimensions (1 when equal), or None."""
    (hs, ws), (ht, wt) = tuple(student_size), tuple(teacher_size)
    if (hs, ws) == (ht, wt):
        return 1
    # a x b is k times c x d in both dimensions (teacher or student larger)
    for (a, b), (c, d) in (((ht, wt), (hs, ws)), ((hs, ws), (ht, wt))):
        if c > 0 and d > 0 and a % c == 0 and b % d == 0 \
                and a // c == b // d:
            return a // c
    return None


def match_spatial_size(student: Tensor,
                       teacher: Tensor,
                       name: str,
                       align_corners: bool = False) -> Tensor:
    """``student`` at the teacher's ``(h, w)``.

    Equal sizes pass unchanged; sizes that differ by one integer factor in
    both dimensions (a 1/4 SegFormer map against a 1/8 dilated ResNet map)
    are resized bilinearly (the student, never the teacher); any other pair
    raises a ``ValueError`` naming both shapes.
    """
    if integer_factor(student.shape[-2:], teacher.shape[-2:]) is None:
        raise ValueError(
            f'{name}: the student map {tuple(student.shape)} and the teacher '
            f'map {tuple(teacher.shape)} differ in spatial size by no single '
            'integer factor, so they cannot be matched pixel for pixel; use '
            'input sizes that both networks divide evenly, or an integrator '
            'that maps the student onto the teacher level (distill.loss with '
            'an integrator, docs/cwd_dist.md)')
    if tuple(student.shape[-2:]) == tuple(teacher.shape[-2:]):
        return student
    return F.interpolate(
        student,
        size=tuple(teacher.shape[-2:]),
        mode='bilinear',
        align_corners=align_corners)


def level_pairs(student: Maps, teacher: Maps, mask,
                name: str) -> Tuple[List[Tensor], List[Tensor]]:
    """Lists of student and teacher maps (one tensor is one level).

    A list of levels (the feature path of the teacher-student distillers)
    takes no mask: a list there is the Overhaul margins of
    ``distill.margin``, which these losses have no use for.
    """
    if torch.is_tensor(student) and torch.is_tensor(teacher):
        return [student], [teacher]
    if torch.is_tensor(student) or torch.is_tensor(teacher):
        raise ValueError(f'{name}: got a tensor on one side and a list of '
                         'levels on the other')
    if mask is not None:
        raise ValueError(
            f'{name} takes no margins (got {type(mask).__name__} as third '
            'argument): set distill.margin=None when it is the feature loss')
    s_list, t_list = list(student), list(teacher)
    if len(s_list) != len(t_list) or not s_list:
        raise ValueError(f'{name}: got {len(s_list)} student levels and '
                         f'{len(t_list)} teacher levels')
    return s_list, t_list


def check_pair(student: Tensor, teacher: Tensor, name: str,
               dims: Tuple[int, ...]) -> None:
    """Same batch and channels; ``dims`` the allowed numbers of dims."""
    if student.dim() not in dims or teacher.dim() != student.dim():
        shapes = ' or '.join('(B, C)' if d == 2 else '(B, C, H, W)'
                             for d in dims)
        raise ValueError(f'{name} expects {shapes} maps, got '
                         f'{tuple(student.shape)} and {tuple(teacher.shape)}')
    if student.shape[:2] != teacher.shape[:2]:
        raise ValueError(
            f'{name}: student {tuple(student.shape)} and teacher '
            f'{tuple(teacher.shape)} differ in batch size or channels; map '
            'the student onto the teacher channels first (an integrator '
            'such as ConvBNConnector, the 1x1 conv adapter of CWD)')


def check_mask(mask: Tensor, expected: Sequence[int], name: str) -> Tensor:
    """``mask`` as a bool tensor of shape ``expected``."""
    if tuple(mask.shape) != tuple(expected):
        raise ValueError(f'{name}: the mask has shape {tuple(mask.shape)}, '
                         f'expected {tuple(expected)}')
    return mask.bool()


def set_dense_options(loss, tau: float, loss_weight: float, resolution: str,
                      exclude_ignored: bool) -> None:
    """Check and set the options every dense distillation loss
    (:class:`CWDLoss`, :class:`DISTLoss`) shares; errors name the loss."""
    name = type(loss).__name__
    if not tau > 0:
        raise ValueError(f'{name}: tau must be > 0, got {tau}')
    if resolution not in RESOLUTIONS:
        raise ValueError(f'{name}: resolution must be one of '
                         f'{RESOLUTIONS}, got {resolution!r}')
    loss.tau = float(tau)
    loss.loss_weight = loss_weight
    loss.resolution = resolution
    loss.exclude_ignored = bool(exclude_ignored)

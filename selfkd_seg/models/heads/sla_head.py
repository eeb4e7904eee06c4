"""Self-supervised label augmentation (SLA) with input rotations.

`Self-supervised Label Augmentation via Input Transformations
<https://arxiv.org/abs/1910.05872>`_ (Lee et al., ICML 2020).  Every image
is rotated by ``k * 360 / R`` degrees (``k = 0..R-1``) and a *joint*
classifier predicts the pair (class ``y``, rotation ``k``) among ``R * C``
labels.  The joint predictions of the ``R`` copies, each read at its own
rotation, are averaged into an aggregated ``C``-way prediction that serves
as a soft label (SLA-SD).

Conventions (those of the FRSKD code, ``distill_loss/sla.py``):

* rotated batch: sample-major, row ``b * R + k`` is image ``b`` rotated
  ``k`` times;
* joint label: ``y * R + k`` (class-major), so column ``c * R + k`` scores
  class ``c`` seen at rotation ``k``.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

#: Numbers of rotations that keep the rotated images on the pixel grid.
VALID_NUM_ROTATIONS = (2, 4)


def _check_num_rotations(num_rotations: int) -> None:
    if num_rotations not in VALID_NUM_ROTATIONS:
        raise ValueError(f'num_rotations must be one of {VALID_NUM_ROTATIONS}'
                         f' (multiples of 90 degrees), got {num_rotations}')


def rotate_batch(inputs: torch.Tensor, num_rotations: int = 4) -> torch.Tensor:
    """``(B, C, H, W) -> (B * R, C, H, W)``, row ``b * R + k`` = image ``b``
    rotated by ``k * 360 / R`` degrees (counter-clockwise)."""
    _check_num_rotations(num_rotations)
    if inputs.dim() != 4 or inputs.shape[-1] != inputs.shape[-2]:
        raise ValueError('rotation label augmentation needs square (B, C, H, '
                         f'W) images, got shape {tuple(inputs.shape)}')
    step = 4 // num_rotations  # quarter turns between two copies
    rotated = [
        torch.rot90(inputs, k * step, dims=(2, 3))
        for k in range(num_rotations)
    ]
    return torch.stack(rotated, 1).flatten(0, 1)


def joint_rotation_labels(labels: torch.Tensor,
                          num_rotations: int = 4) -> torch.Tensor:
    """``(B,)`` class labels -> ``(B * R,)`` joint labels ``y * R + k`` in the
    row order of :func:`rotate_batch`."""
    _check_num_rotations(num_rotations)
    if labels.dim() != 1:
        raise ValueError('joint_rotation_labels expects (B,) class indices, '
                         f'got shape {tuple(labels.shape)}')
    k = torch.arange(num_rotations, device=labels.device)
    return (labels[:, None] * num_rotations + k[None]).flatten()


def aggregate_rotation_logits(joint_logits: torch.Tensor,
                              num_rotations: int = 4) -> torch.Tensor:
    """``(B * R, R * C)`` joint logits -> ``(B, C)`` aggregated logits.

    The copy rotated ``k`` times is read at the columns of rotation ``k``
    (``c * R + k``); the ``R`` readings are averaged (SLA's aggregation).
    """
    _check_num_rotations(num_rotations)
    rows, cols = joint_logits.shape
    if rows % num_rotations or cols % num_rotations:
        raise ValueError(f'joint logits of shape {(rows, cols)} are not '
                         f'(B * {num_rotations}, {num_rotations} * C)')
    # (B, R_copy, C, R_column): keep the diagonal copy == column rotation
    grid = joint_logits.view(rows // num_rotations, num_rotations,
                             cols // num_rotations, num_rotations)
    return grid.diagonal(dim1=1, dim2=3).mean(-1)


class SLAJointHead(BaseModule):
    """Joint (class, rotation) classifier: [GAP +] Linear -> ``R * C``.

    A training-only head of SLA: it lives beside the distillation losses so
    that exporting the student drops it.

    Args:
        in_channels (int): Channels of the feature it classifies.
        num_classes (int): Number of classes C.
        num_rotations (int): Number of rotations R (2 or 4). Default: 4.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 num_rotations: int = 4,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        _check_num_rotations(num_rotations)
        self.num_classes = num_classes
        self.num_rotations = num_rotations
        self.fc = nn.Linear(in_channels, num_rotations * num_classes)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        """``(N, C_in)`` or ``(N, C_in, H, W)`` (pooled) -> ``(N, R * C)``."""
        if feat.dim() == 4:
            feat = F.adaptive_avg_pool2d(feat, 1).flatten(1)
        return self.fc(feat)

    def loss(self, joint_logits: torch.Tensor,
             labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy against the joint labels of ``labels`` (B,)."""
        return F.cross_entropy(
            joint_logits, joint_rotation_labels(labels, self.num_rotations))

    def aggregate(self, joint_logits: torch.Tensor) -> torch.Tensor:
        """``(B * R, R * C) -> (B, C)``, see
        :func:`aggregate_rotation_logits`."""
        return aggregate_rotation_logits(joint_logits, self.num_rotations)

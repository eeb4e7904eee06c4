"""DIST: relation distillation from a stronger teacher (Huang et al.,
NeurIPS 2022)."""
from typing import Optional

import torch
import torch.nn as nn

from selfkd_seg.registry import MODELS
from .dense import (Maps, check_mask, check_pair, level_pairs,
                    match_spatial_size, set_dense_options)


def pearson_rows(a: torch.Tensor,
                 b: torch.Tensor,
                 eps: float = 1e-8) -> torch.Tensor:
    """Pearson correlation of each row of ``a`` with the same row of ``b``
    (``(M, K)`` -> ``(M,)``): the cosine of the centred rows, ``eps`` added
    to the product of the norms (as the authors' code)."""
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


@MODELS.register_module()
class DISTLoss(nn.Module):
    """Inter- and intra-class Pearson relations of the class distributions.

    `Knowledge Distillation from A Stronger Teacher
    <https://arxiv.org/abs/2205.10536>`_.  With ``Y = softmax(z / tau)``
    per sample (``M`` samples, ``C`` classes)::

        inter = 1 - mean_i  pearson(Y_s[i, :], Y_t[i, :])   (each sample's
                                                             classes)
        intra = 1 - mean_c  pearson(Y_s[:, c], Y_t[:, c])   (each class
                                                             across samples)
        loss  = tau^2 * (beta * inter + gamma * intra)

    For segmentation every pixel of every image is a sample: ``(B, C, H,
    W)`` logits become ``(B * H * W, C)`` rows, so the intra-class relation
    runs over all the pixels of the batch (hunto/DIST_KD,
    ``segmentation/losses/dist_kd.py``: ``y.transpose(1, 3).reshape(-1,
    num_classes)``, softmax, ``beta = gamma = 1``, no temperature, i.e.
    ``tau = 1``; the ``tau^2`` factor is the classification code's, e.g.
    open-mmlab/mmrazor ``mmrazor/models/losses/dist_loss.py``, and is 1 at
    the segmentation default).  The authors' segmentation recipe
    (``segmentation/train_kd.py``) adds the term with weight 1 on the
    decoder's logits at their own size, every pixel included, and 0.4 times
    it on the auxiliary head's.  ``(B, C)`` logits (classification) are
    ``B`` samples.

    ``mask`` (``(B, H, W)`` or ``(B,)`` bool, optional) keeps samples: only
    the masked-in pixels are rows of ``Y``.  With no sample kept the loss is
    an exact 0 that still belongs to the graph.  A list of levels gives the
    sum over levels.  A student map whose size differs from the teacher's by
    an integer factor is resized bilinearly to the teacher's; other sizes
    raise a ``ValueError`` naming both shapes.

    The teacher side is detached and everything is computed in float32, so
    only the student receives gradients.

    ``resolution``, ``exclude_ignored`` and :attr:`per_pixel` tell
    :func:`~selfkd_seg.models.distillers.pixel_kd` how to call it, as for
    :class:`CWDLoss` (defaults: the authors', the teacher logits' size and
    every pixel; a gate's pixel rule keeps its pixels as the samples, with
    no rescaling).

    Args:
        beta (float): Weight of the inter-class relation (DIST's beta; not
            FRSKD's ``distill.beta``). Default: 1.0.
        gamma (float): Weight of the intra-class relation. Default: 1.0.
        tau (float): Softmax temperature. Default: 1.0.
        loss_weight (float): Multiplier of the loss (keep 1 inside the
            distillers, whose term weights live in ``distill``).
            Default: 1.0.
        resolution (str): ``'logits'`` or ``'labels'``. Default: 'logits'.
        exclude_ignored (bool): Leave the ``ignore_index`` pixels out.
            Default: False.
    """

    per_pixel = False

    def __init__(self,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 resolution: str = 'logits',
                 exclude_ignored: bool = False):
        super().__init__()
        set_dense_options(self, tau, loss_weight, resolution, exclude_ignored)
        if beta < 0 or gamma < 0:
            raise ValueError(f'DISTLoss: beta and gamma must be >= 0, got '
                             f'{beta} and {gamma}')
        self.beta = float(beta)
        self.gamma = float(gamma)

    def forward(self,
                student: Maps,
                teacher: Maps,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            student (Tensor | list[Tensor]): ``(B, C, H, W)`` or ``(B, C)``.
            teacher (Tensor | list[Tensor]): Same batch and channels.
            mask (Tensor, optional): Bool ``(B, H, W)`` (at the teacher's
                size) or ``(B,)``, the samples that count; a single map only.
        """
        s_list, t_list = level_pairs(student, teacher, mask, 'DISTLoss')
        loss = 0.
        for s, t in zip(s_list, t_list):
            loss = loss + self._level(s, t, mask)
        return self.loss_weight * loss

    def _level(self, s: torch.Tensor, t: torch.Tensor,
               mask: Optional[torch.Tensor]) -> torch.Tensor:
        check_pair(s, t, 'DISTLoss', dims=(2, 4))
        t = t.detach().float()
        if s.dim() == 4:
            s = match_spatial_size(s, t, 'DISTLoss')
            c = t.shape[1]
            # (B, C, H, W) -> (B * H * W, C): one row per pixel
            s_rows = s.float().permute(0, 2, 3, 1).reshape(-1, c)
            t_rows = t.permute(0, 2, 3, 1).reshape(-1, c)
            sample_shape = (t.shape[0], ) + tuple(t.shape[-2:])
        else:
            s_rows, t_rows = s.float(), t
            sample_shape = (t.shape[0], )
        if mask is not None:
            keep = check_mask(mask, sample_shape, 'DISTLoss').reshape(-1)
            s_rows, t_rows = s_rows[keep], t_rows[keep]
        if s_rows.shape[0] == 0:
            return s.float().sum() * 0.  # nothing kept: 0, in the graph
        y_s = (s_rows / self.tau).softmax(dim=1)
        y_t = (t_rows / self.tau).softmax(dim=1)
        inter = 1 - pearson_rows(y_s, y_t).mean()
        intra = 1 - pearson_rows(y_s.t(), y_t.t()).mean()
        return self.tau**2 * (self.beta * inter + self.gamma * intra)

    def extra_repr(self) -> str:
        return (f'beta={self.beta}, gamma={self.gamma}, tau={self.tau}, '
                f'loss_weight={self.loss_weight}, '
                f'resolution={self.resolution!r}, '
                f'exclude_ignored={self.exclude_ignored}')

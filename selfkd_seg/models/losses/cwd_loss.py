"""Channel-wise distillation, CWD (Shu et al., ICCV 2021)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from selfkd_seg.registry import MODELS
from .dense import (Maps, check_mask, check_pair, level_pairs,
                    match_spatial_size, set_dense_options)

# a masked-out position's logit: exp() of it is exactly 0 in float32, and,
# unlike -inf, it keeps 0 * (log p_t - log p_s) finite
_MASKED = -1e9


@MODELS.register_module()
class CWDLoss(nn.Module):
    """KL divergence between the spatial distributions of each channel.

    `Channel-wise Knowledge Distillation for Dense Prediction
    <https://arxiv.org/abs/2011.13256>`_: every channel ``c`` of image ``n``
    becomes a distribution over its ``H * W`` positions,
    ``p(n, c) = softmax_HW(x[n, c] / tau)``, and the student's is pulled to
    the teacher's::

        loss = tau^2 / (N * C) * sum_{n, c} KL(p_T(n, c) || p_S(n, c))

    the normalisation of the authors' code (irfanICMLL/TorchDistiller,
    ``SemSeg-distill/utils/criterion.py``, ``CriterionCWD`` with
    ``norm_type='channel'``, ``divergence='kl'``: a summed KLDivLoss divided
    by ``n * c``, times ``temperature**2``; the same in open-mmlab/mmrazor,
    ``mmrazor/models/losses/cwd.py``, ``ChannelWiseDivergence``).  The
    paper's Cityscapes recipe distils the logits with ``tau = 4`` and weight
    3 (the README's ``bash exp_cwd.sh channel kl 3 4``); mmrazor's config
    uses ``tau = 1``, weight 5.

    Maps are ``(B, C, H, W)``: logits, or feature levels already mapped onto
    the teacher's channels (an integrator such as ``ConvBNConnector``, the
    1x1 conv adapter of the paper's feature variant).  A list of levels
    (the feature path of :class:`SFDSegmentor`) gives the sum over levels.
    A student map whose size differs from the teacher's by an integer
    factor is resized bilinearly to the teacher's; other sizes raise a
    ``ValueError`` naming both shapes.

    ``mask`` (``(B, H, W)`` bool, optional) keeps positions: the masked-out
    ones are left out of every channel's spatial softmax (both
    distributions are renormalised over the kept positions), and an image
    with no kept position does not count in ``N``.  With every position
    masked out the loss is an exact 0 that still belongs to the graph.

    The teacher side is detached and everything is computed in float32, so
    only the student receives gradients.

    How :func:`~selfkd_seg.models.distillers.pixel_kd` calls it as a logit
    (KD) term, set here (not by the distiller):

    - ``resolution='logits'`` (default): at the teacher logits' own size, as
      the authors (their logits are the decoder's 1/8 output); ``'labels'``:
      both upsampled to the labels' size first, as :class:`KDLoss`.
    - ``exclude_ignored=False`` (default): every position counts, the ones
      labelled ``ignore_index`` included, as the authors; ``True``: those
      are masked out (labels resized to the map with ``nearest``).

    The loss is no mean over pixels (:attr:`per_pixel` False): a gate's
    pixel rule (:class:`DistillGate`) restricts the distributions to the
    pixels it keeps, and the term is not rescaled by the fraction kept.

    Args:
        tau (float): Temperature of the spatial softmax. Default: 4.0.
        loss_weight (float): Multiplier of the loss; inside the distillers
            the term's weight is ``distill.alpha`` (FRSKD) or the
            ``loss_weight`` the teacher-student distillers take out of the
            config, so keep it 1 there. Default: 1.0.
        resolution (str): ``'logits'`` or ``'labels'``, see above.
            Default: 'logits'.
        exclude_ignored (bool): See above. Default: False.
    """

    per_pixel = False

    def __init__(self,
                 tau: float = 4.0,
                 loss_weight: float = 1.0,
                 resolution: str = 'logits',
                 exclude_ignored: bool = False):
        super().__init__()
        set_dense_options(self, tau, loss_weight, resolution, exclude_ignored)

    def forward(self,
                student: Maps,
                teacher: Maps,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            student (Tensor | list[Tensor]): ``(B, C, H, W)`` map(s).
            teacher (Tensor | list[Tensor]): Same batch and channels.
            mask (Tensor, optional): ``(B, H, W)`` bool, the positions that
                count (at the teacher's size); a single map only.
        """
        s_list, t_list = level_pairs(student, teacher, mask, 'CWDLoss')
        loss = 0.
        for s, t in zip(s_list, t_list):
            loss = loss + self._level(s, t, mask)
        return self.loss_weight * loss

    def _level(self, s: torch.Tensor, t: torch.Tensor,
               mask: Optional[torch.Tensor]) -> torch.Tensor:
        check_pair(s, t, 'CWDLoss', dims=(4, ))
        s = match_spatial_size(s, t, 'CWDLoss')
        n, c = t.shape[:2]
        size = tuple(t.shape[-2:])
        s = s.float().flatten(2) / self.tau  # (N, C, H*W)
        t = t.detach().float().flatten(2) / self.tau
        if mask is None:
            images = float(n)
        else:
            keep = check_mask(mask, (n, ) + size, 'CWDLoss')
            keep = keep.flatten(1)[:, None, :]  # (N, 1, H*W)
            s = s.masked_fill(~keep, _MASKED)
            t = t.masked_fill(~keep, _MASKED)
            images = keep.flatten(1).any(1).sum().clamp(min=1).float()
        log_p_s = F.log_softmax(s, dim=2)
        log_p_t = F.log_softmax(t, dim=2)
        kl = log_p_t.exp() * (log_p_t - log_p_s)
        if mask is not None:
            kl = kl * keep
        return kl.sum() * self.tau**2 / (images * c)

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, loss_weight={self.loss_weight}, '
                f'resolution={self.resolution!r}, '
                f'exclude_ignored={self.exclude_ignored}')

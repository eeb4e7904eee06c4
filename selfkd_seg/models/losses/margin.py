"""Per-channel margins ``m = E[Y | Y < 0]`` for the Overhaul loss.

Two ways to get them (specs/sfd.md): from the BatchNorm right before the
teacher's ReLU, assuming its output is Gaussian (Overhaul's formula), or as
a running average of the negative responses seen during training, which works
for any teacher.
"""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine import dist
from torch.nn.modules.batchnorm import _BatchNorm

from selfkd_seg.registry import MODELS


def _std_normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x / math.sqrt(2.0))


def _std_normal_pdf(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def bn_margin(bn: Union[_BatchNorm, Tuple[torch.Tensor, torch.Tensor]],
              min_prob: float = 1e-3) -> torch.Tensor:
    """Margin from a BN layer's affine parameters (Overhaul, Heo et al. 2019).

    The BN output of channel c is modelled as ``N(mu, s^2)`` with
    ``s = |gamma|`` and ``mu = beta``; the margin is the mean of its negative
    part ``E[Y | Y < 0] = mu - s * phi(mu/s) / Phi(-mu/s)``.  When negatives
    are
    too rare (``Phi(-mu/s) <= min_prob``) the estimate is unstable and
    Overhaul uses ``-3s`` instead.  A channel with ``gamma == 0`` is constant,
    its margin is ``min(beta, 0)``.

    Args:
        bn: A BatchNorm layer or a ``(weight, bias)`` pair.
        min_prob (float): Probability threshold of the ``-3s`` fallback.

    Returns:
        Tensor: ``(C,)`` margins (no grad) on the parameters' device/dtype.
    """
    if isinstance(bn, _BatchNorm):
        if not bn.affine:
            raise ValueError('bn_margin needs an affine BatchNorm (gamma, '
                             'beta); use RunningMarginEstimator instead')
        weight, bias = bn.weight, bn.bias
    elif isinstance(bn, (tuple, list)) and len(bn) == 2:
        weight, bias = bn
    else:
        raise TypeError('bn_margin expects a BatchNorm layer or a (weight, '
                        f'bias) pair, got {type(bn).__name__}')
    weight, bias = torch.as_tensor(weight), torch.as_tensor(bias)
    if weight.shape != bias.shape or weight.dim() != 1:
        raise ValueError('bn_margin: weight and bias must be 1-D of the same '
                         f'size, got {tuple(weight.shape)} and '
                         f'{tuple(bias.shape)}')
    out_dtype = weight.dtype
    s = weight.detach().abs().double()
    mu = bias.detach().double()
    constant = s == 0
    z = mu / torch.where(constant, torch.ones_like(s), s)
    prob_neg = _std_normal_cdf(-z)
    use_formula = prob_neg > min_prob
    gaussian = mu - s * _std_normal_pdf(z) / prob_neg.clamp(min=1e-300)
    margin = torch.where(use_formula, gaussian, -3.0 * s)
    margin = torch.where(constant, mu.clamp(max=0.0), margin)
    return margin.to(out_dtype)


@MODELS.register_module()
class RunningMarginEstimator(nn.Module):
    """Running per-channel mean of the negative teacher responses.

    ``update(feat)`` adds, per channel, the sum and the count of the
    negative elements of ``feat`` (a pre-ReLU ``(B, C, ...)`` teacher
    feature).  Both are
    buffers (float64, so counts stay exact over long runs): they are saved in
    checkpoints and survive ``--resume``.  Under distributed training the
    batch statistics are summed over all ranks first, so every rank holds the
    same margin.

    With ``momentum=None`` the margin is the mean over everything seen so far
    (``sum / count``).  With a float ``momentum`` it is an exponential moving
    average of the per-batch means instead (``m <- (1-momentum) m + momentum
    batch_mean``), which follows a teacher that changes during training.

    Channels with no negative response yet get margin 0, i.e. the target
    ``max(Y, 0)`` is the teacher's ReLU output.

    Args:
        num_channels (int): Number of channels C.
        momentum (float, optional): EMA momentum; ``None`` = cumulative mean.
    """

    def __init__(self, num_channels: int, momentum: Optional[float] = None):
        super().__init__()
        if momentum is not None and not 0 < momentum <= 1:
            raise ValueError(f'momentum must be in (0, 1], got {momentum}')
        self.num_channels = num_channels
        self.momentum = momentum
        self.register_buffer('neg_sum',
                             torch.zeros(num_channels, dtype=torch.float64))
        self.register_buffer('neg_count',
                             torch.zeros(num_channels, dtype=torch.float64))
        self.register_buffer('ema_margin',
                             torch.zeros(num_channels, dtype=torch.float64))

    @torch.no_grad()
    def update(self, teacher_feat: torch.Tensor) -> None:
        """Accumulate the negative responses of a ``(B, C, ...)`` feature."""
        if teacher_feat.dim() < 2 or teacher_feat.shape[1] != \
                self.num_channels:
            raise ValueError(
                f'RunningMarginEstimator expects (B, {self.num_channels}, ...)'
                f' features, got {tuple(teacher_feat.shape)}')
        feat = teacher_feat.detach().transpose(0, 1).reshape(
            self.num_channels, -1).double()
        negative = feat < 0
        batch = torch.stack([(feat * negative).sum(1), negative.sum(1)])
        batch = batch.to(self.neg_sum.device)
        if dist.is_distributed():
            dist.all_reduce(batch, op='sum')
        batch_sum, batch_count = batch[0], batch[1]
        if self.momentum is not None:
            seen = batch_count > 0
            batch_mean = batch_sum / batch_count.clamp(min=1.0)
            first = seen & (self.neg_count == 0)
            ema = (1 - self.momentum) * self.ema_margin + \
                self.momentum * batch_mean
            ema = torch.where(first, batch_mean, ema)
            self.ema_margin.copy_(torch.where(seen, ema, self.ema_margin))
        self.neg_sum += batch_sum
        self.neg_count += batch_count

    @property
    def margin(self) -> torch.Tensor:
        """``(C,)`` float32 margins (0 for channels with no negatives yet)."""
        if self.momentum is not None:
            return self.ema_margin.float()
        mean = self.neg_sum / self.neg_count.clamp(min=1.0)
        return torch.where(self.neg_count > 0, mean,
                           torch.zeros_like(mean)).float()

    def extra_repr(self) -> str:
        return f'num_channels={self.num_channels}, momentum={self.momentum}'

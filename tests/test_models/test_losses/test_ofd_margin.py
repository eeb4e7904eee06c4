"""Overhaul loss and margins against hand-computed numbers."""
import math

import pytest
import torch
import torch.nn as nn

import selfkd_seg  # noqa: F401
from selfkd_seg.models.losses import (OFDLoss, RunningMarginEstimator,
                                      bn_margin)
from selfkd_seg.registry import MODELS


def _ofd_case():
    # one channel, margin -1, six elements (s, teacher) with targets:
    # (-3, -2): target -1, s <= t <= 0           -> excluded
    # (-0.7, -0.5): target -0.5, s <= t <= 0      -> excluded
    # (0.5, -0.5): target -0.5, s > t            -> (1.0)^2 = 1
    # (3, 2): target 2 > 0                       -> 1
    # (-1, 1): target 1 > 0                      -> 4
    # (-2, -3): target -1 (margin), s <= t <= 0  -> excluded
    s = torch.tensor([[[[-3., -0.7, 0.5], [3., -1., -2.]]]])
    t = torch.tensor([[[[-2., -0.5, -0.5], [2., 1., -3.]]]])
    return s, t, torch.tensor([-1.])


def test_ofd_mask_cases_and_normalization():
    s, t, m = _ofd_case()
    assert OFDLoss(mul_factor=1.)(s, t, m).item() == pytest.approx(6.)
    assert OFDLoss()(s, t, m).item() == pytest.approx(6. / 1000)
    # batch of two identical samples: sum 12, divided by batch 2
    s2, t2 = torch.cat([s, s]), torch.cat([t, t])
    assert OFDLoss(mul_factor=1., loss_weight=3.)(s2, t2, m).item() == \
        pytest.approx(18.)
    # student above a negative target is pulled down: s=0 vs t=m=-1 -> 1
    one = OFDLoss(mul_factor=1.)(torch.zeros(1, 1, 1, 1),
                                 torch.full((1, 1, 1, 1), -5.), m)
    assert one.item() == pytest.approx(1.)


def test_ofd_teacher_detached_and_lists():
    s, t, m = _ofd_case()
    s.requires_grad_(True)
    t.requires_grad_(True)
    loss = OFDLoss(mul_factor=1.)([s, s], [t, t], [m, m])
    assert loss.item() == pytest.approx(12.)
    loss.backward()
    assert t.grad is None
    # excluded elements receive no gradient
    assert s.grad[0, 0, 0, 0] == 0 and s.grad[0, 0, 0, 1] == 0
    # d/ds (s - t)^2 = 2 (s - t) = 2 * (-1 - 1), once per level (2 levels)
    assert s.grad[0, 0, 1, 1] == pytest.approx(2 * 2 * (-1. - 1.))


def test_ofd_errors():
    with pytest.raises(ValueError, match='student shape'):
        OFDLoss()(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 4, 4),
                  torch.zeros(2))
    with pytest.raises(ValueError, match='margin has 3 channels'):
        OFDLoss()(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2),
                  torch.zeros(3))


def test_bn_margin_standard_gaussian():
    bn = nn.BatchNorm2d(1)  # gamma 1, beta 0: Y ~ N(0, 1)
    assert bn_margin(bn).item() == pytest.approx(-math.sqrt(2 / math.pi),
                                                 abs=1e-6)
    assert bn_margin(bn).item() == pytest.approx(-0.7979, abs=1e-4)


def test_bn_margin_shifted_gaussian_vs_monte_carlo():
    gamma, beta = -2.0, 1.0  # |gamma| is the std
    torch.manual_seed(0)
    y = torch.randn(2_000_000, dtype=torch.float64) * 2.0 + 1.0
    mc = y[y < 0].mean().item()
    m = bn_margin((torch.tensor([gamma]), torch.tensor([beta]))).item()
    assert m == pytest.approx(mc, abs=5e-3)


def test_bn_margin_rare_negatives_fall_back_to_minus_3s():
    # Phi(-4) ~ 3e-5 <= 1e-3 -> -3 * 0.5
    m = bn_margin((torch.tensor([0.5, 1.0]), torch.tensor([2.0, 0.0])))
    assert m[0].item() == pytest.approx(-1.5)
    assert m[1].item() == pytest.approx(-0.79788, abs=1e-4)
    with pytest.raises(TypeError):
        bn_margin(nn.Conv2d(1, 1, 1))


def test_running_margin_matches_mean_of_negatives():
    est = MODELS.build(dict(type='RunningMarginEstimator', num_channels=3))
    torch.manual_seed(0)
    a = torch.randn(2, 3, 4, 4)
    b = torch.randn(3, 3, 2, 2)
    a[:, 2] = a[:, 2].abs()  # channel 2: no negatives at all
    b[:, 2] = b[:, 2].abs()
    est.update(a)
    est.update(b)
    for c in range(2):
        vals = torch.cat([a[:, c].flatten(), b[:, c].flatten()])
        assert est.margin[c].item() == pytest.approx(
            vals[vals < 0].mean().item(), rel=1e-5)
    assert est.margin[2].item() == 0.0
    # the statistics are buffers: they travel with the state dict
    fresh = RunningMarginEstimator(3)
    fresh.load_state_dict(est.state_dict())
    assert torch.equal(fresh.margin, est.margin)


def test_running_margin_momentum_is_an_ema_of_batch_means():
    est = RunningMarginEstimator(1, momentum=0.5)
    est.update(torch.tensor([[[-2., -4., 1.]]]))  # batch mean -3 (first)
    est.update(torch.tensor([[[-1., 5., 5.]]]))  # batch mean -1
    assert est.margin.item() == pytest.approx(0.5 * -3 + 0.5 * -1)
    est.update(torch.tensor([[[1., 1., 1.]]]))  # no negatives: unchanged
    assert est.margin.item() == pytest.approx(-2.)
    with pytest.raises(ValueError, match=r'\(B, 1, \.\.\.\)'):
        est.update(torch.zeros(1, 2, 2))

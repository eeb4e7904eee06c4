"""Margins of the Overhaul loss: the formulas and the one provider.

Every distiller gets its margins from :class:`MarginProvider` with the same
vocabulary (``'bn'``, ``'bn_init'``, ``'running'``, ``None``).
"""
import math

import pytest
import torch
import torch.nn as nn

import selfkd_seg  # noqa: F401
from selfkd_seg.models.distillers import MARGINS, MarginProvider
from selfkd_seg.models.losses import RunningMarginEstimator, bn_margin
from selfkd_seg.registry import MODELS


def test_bn_margin_standard_gaussian():
    bn = nn.BatchNorm2d(1)  # gamma 1, beta 0: Y ~ N(0, 1)
    assert bn_margin(bn).item() == pytest.approx(
        -math.sqrt(2 / math.pi), abs=1e-6)
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


def _bns(n=2, c=3):
    bns = [nn.BatchNorm2d(c) for _ in range(n)]
    for i, bn in enumerate(bns):
        nn.init.constant_(bn.bias, 0.5 * i)
    return bns


def test_one_vocabulary():
    assert MARGINS == ('bn', 'bn_init', 'running', None)
    with pytest.raises(ValueError, match='distill.margin must be one of'):
        MarginProvider('bn_running', [3], _bns)


def test_bn_is_computed_once_for_a_frozen_teacher_and_follows_updates():
    bns = _bns()
    provider = MarginProvider('bn', [3, 3], lambda: bns)
    calls = []
    norms = lambda: calls.append(1) or bns  # noqa: E731
    first = provider(None, norms)
    assert provider(None, norms) is first  # cached: teacher unchanged
    for m, bn in zip(first, bns):
        assert torch.equal(m, bn_margin(bn))
    with torch.no_grad():  # an optimizer step / load_state_dict
        bns[0].bias.add_(1.0)
    again = provider(None, norms)
    assert again is not first and torch.equal(again[0], bn_margin(bns[0]))
    assert not list(provider.state_dict())  # nothing in checkpoints


def test_bn_init_keeps_the_build_time_margins_as_buffers():
    bns = _bns()
    provider = MarginProvider('bn_init', [3, 3], lambda: bns)
    expected = [bn_margin(bn) for bn in bns]
    with torch.no_grad():
        bns[0].bias.add_(1.0)
    for m, e in zip(provider(), expected):
        assert torch.equal(m, e)
    assert sorted(provider.state_dict()) == ['level0', 'level1']


def test_running_updates_one_estimator_per_level():
    provider = MarginProvider('running', [3, 2], None)
    targets = [torch.randn(2, 3, 4, 4), torch.randn(2, 2, 4, 4)]
    margins = provider(targets)
    for m, t in zip(margins, targets):
        neg = t.transpose(0, 1).reshape(t.shape[1], -1)
        expected = (neg * (neg < 0)).sum(1) / (neg < 0).sum(1)
        assert torch.allclose(m, expected.float(), atol=1e-6)
    assert len(provider) == 2 and provider[1].num_channels == 2
    assert '0.neg_sum' in provider.state_dict()


def test_none_gives_no_margin():
    assert MarginProvider(None, [3], None)() is None

"""Overhaul loss against hand-computed numbers (margins: test_margins.py)."""

import pytest
import torch

import selfkd_seg  # noqa: F401
from selfkd_seg.models.losses import OFDLoss


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

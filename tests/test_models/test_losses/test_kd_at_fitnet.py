"""KD, AT and FitNet losses against numbers worked out by hand."""
import math

import pytest
import torch

import selfkd_seg  # noqa: F401
from selfkd_seg.models.losses import ATLoss, FitNetLoss, KDLoss
from selfkd_seg.registry import MODELS


# ---------------------------------------------------------------- KD
def test_kd_image_logits_match_hand_computation():
    # T = 2 and teacher logits 2*log([1, 2, 3]) -> softened teacher
    # distribution [1/6, 2/6, 3/6]; a uniform student -> [1/3, 1/3, 1/3].
    T = 2.0
    student = torch.zeros(2, 3, requires_grad=True)
    teacher = torch.tensor([[0., 2 * math.log(2), 2 * math.log(3)],
                            [0., 0., 0.]])
    kl_first = (1 / 6 * math.log(0.5) + 2 / 6 * math.log(1.0) +
                3 / 6 * math.log(1.5))
    expected = (kl_first + 0.0) / 2 * T**2  # sum over batch / B * T^2
    loss = KDLoss(temperature=T)(student, teacher)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    loss2 = KDLoss(temperature=T, loss_weight=3.)(student, teacher)
    assert loss2.item() == pytest.approx(3 * expected, rel=1e-5)


def test_kd_pixel_logits_average_over_valid_pixels():
    T = 2.0
    # (B=1, C=2, H=1, W=3); pixel 0: teacher [0, 2 ln 3] -> [1/4, 3/4];
    # pixel 1 agrees with the student; pixel 2 disagrees wildly.
    student = torch.zeros(1, 2, 1, 3, requires_grad=True)
    teacher = torch.tensor([[[[0., 0., 0.]], [[2 * math.log(3), 0., 50.]]]])
    kl0 = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    valid = torch.tensor([[[True, True, False]]])
    loss = KDLoss(temperature=T)(student, teacher, valid)
    assert loss.item() == pytest.approx((kl0 + 0.) / 2 * T**2, rel=1e-5)
    # no mask, T = 1: all three pixels count. Pixel 0 teacher -> [1/10, 9/10];
    # pixel 2 teacher is one-hot up to e^-50 -> KL = ln 2 against uniform.
    full = KDLoss(temperature=1.0)(student, teacher)
    kl0_t1 = 0.1 * math.log(0.1 / 0.5) + 0.9 * math.log(0.9 / 0.5)
    assert full.item() == pytest.approx(
        (kl0_t1 + 0. + math.log(2)) / 3, rel=1e-5)


def test_kd_pixel_normalizer_valid_vs_all():
    """(B=1, C=2, H=2, W=2), T = 1, a uniform student, one ignored pixel.
    'valid' divides the masked KL sum by the 3 valid pixels, 'all' by all
    B*H*W = 4 (the FRSKD authors' DistillKL)."""
    student = torch.zeros(1, 2, 2, 2, requires_grad=True)
    # teacher: [1/4, 3/4], uniform, [1/10, 9/10], ignored (one-hot)
    teacher = torch.tensor([[[[0., 0.], [0., 0.]],
                             [[math.log(3), 0.], [math.log(9), 50.]]]])
    valid = torch.tensor([[[True, True], [True, False]]])
    kl_a = 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    kl_c = 0.1 * math.log(0.1 / 0.5) + 0.9 * math.log(0.9 / 0.5)
    by_valid = KDLoss(temperature=1.0)(student, teacher, valid)
    assert by_valid.item() == pytest.approx((kl_a + 0. + kl_c) / 3, rel=1e-6)
    assert KDLoss(
        temperature=1.0,
        normalizer='valid')(student, teacher,
                            valid).item() == by_valid.item()  # the default
    by_all = KDLoss(temperature=1.0, normalizer='all')(student, teacher, valid)
    assert by_all.item() == pytest.approx((kl_a + 0. + kl_c) / 4, rel=1e-6)
    # T^2 and loss_weight scale 'all' as 'valid'
    scaled = KDLoss(temperature=1.0, loss_weight=3., normalizer='all')
    assert scaled(student, teacher, valid).item() == pytest.approx(
        3 * by_all.item(), rel=1e-6)
    # without a mask both divide by all pixels (the ignored one counts)
    kl_d = math.log(2)  # one-hot teacher up to e^-50 against uniform
    for normalizer in ('valid', 'all'):
        loss = KDLoss(temperature=1.0, normalizer=normalizer)(student, teacher)
        assert loss.item() == pytest.approx((kl_a + kl_c + kl_d) / 4, rel=1e-6)
    # all pixels masked out: an exact zero in the graph for 'all' too
    none = KDLoss(normalizer='all')(student, teacher, torch.zeros_like(valid))
    assert none.item() == 0.0 and none.requires_grad
    assert "normalizer='all'" in repr(scaled)
    built = MODELS.build(dict(type='KDLoss', normalizer='all'))
    assert built.normalizer == 'all'


def test_kd_all_ignored_is_zero_with_graph():
    student = torch.randn(2, 4, 2, 2, requires_grad=True)
    teacher = torch.randn(2, 4, 2, 2)
    loss = KDLoss()(student, teacher, torch.zeros(2, 2, 2, dtype=torch.bool))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.all(student.grad == 0)


def test_kd_teacher_gets_no_grad_and_half_inputs_are_safe():
    student = torch.randn(2, 5, requires_grad=True)
    teacher = torch.randn(2, 5, requires_grad=True)
    loss = KDLoss()(student, teacher)
    loss.backward()
    assert teacher.grad is None and student.grad is not None
    half = KDLoss()(student.detach().half(), teacher.detach().half())
    assert half.dtype == torch.float32 and torch.isfinite(half)


def test_kd_errors_name_the_problem():
    with pytest.raises(ValueError, match='differ in shape'):
        KDLoss()(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match='valid_mask'):
        KDLoss()(torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2),
                 torch.ones(1, 3, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match='temperature'):
        KDLoss(temperature=0)
    with pytest.raises(
            ValueError, match=r"normalizer must be one of .*'mean'"):
        KDLoss(normalizer='mean')


# ---------------------------------------------------------------- AT
def test_at_matches_hand_computation():
    # student attention: mean_c f^2 = [1, 0, 0, 0] -> normalized [1, 0, 0, 0]
    s = torch.tensor([[[[1., 0.], [0., 0.]], [[-1., 0.], [0., 0.]]]])
    # teacher: constant map -> normalized [0.5, 0.5, 0.5, 0.5]
    t = torch.ones(1, 3, 2, 2)
    # diff [0.5, -0.5, -0.5, -0.5] -> mean of squares 0.25
    assert ATLoss()(s, t).item() == pytest.approx(0.25)
    # two levels are summed, the weight multiplies
    assert ATLoss(loss_weight=2.)([s, s], [t, s]).item() == \
        pytest.approx(2 * 0.25)


def test_at_pools_the_larger_map_and_detaches_teacher():
    # 4x4 student whose top-left 2x2 block is 1: pooled to 2x2 it is
    # [[1, 0], [0, 0]], identical in attention to the 2x2 teacher -> loss 0.
    s = torch.zeros(1, 1, 4, 4)
    s[..., :2, :2] = 1.
    s.requires_grad_(True)
    t = torch.tensor([[[[3., 0.], [0., 0.]]]], requires_grad=True)
    assert ATLoss()(s, t).item() == pytest.approx(0.)
    # a uniform 2x2 teacher against it: 0.25 as above (order does not matter)
    u = torch.ones(1, 1, 2, 2, requires_grad=True)
    loss = ATLoss()(s, u)
    assert loss.item() == pytest.approx(0.25)
    assert ATLoss()(u.detach(), s.detach()).item() == pytest.approx(0.25)
    loss.backward()
    assert u.grad is None and s.grad is not None


def test_at_level_count_mismatch():
    with pytest.raises(ValueError, match='2 student levels but 1'):
        ATLoss()([torch.ones(1, 1, 2, 2)] * 2, [torch.ones(1, 1, 2, 2)])


# ---------------------------------------------------------------- FitNet
def test_fitnet_matches_hand_computation():
    loss_fn = FitNetLoss(1, 1)
    loss_fn.eval()  # BN uses running stats mean 0, var 1
    conv = loss_fn.regressors[0].conv
    with torch.no_grad():
        conv.weight.fill_(2.)
    s = torch.tensor([[[[1., -1.]]]], requires_grad=True)
    t = torch.tensor([[[[1., 1.]]]], requires_grad=True)
    # regressor: relu(2 * s / sqrt(1 + 1e-5)) = [2/sqrt(1+1e-5), 0]
    r = 2 / math.sqrt(1 + 1e-5)
    expected = ((r - 1)**2 + (0 - 1)**2) / 2
    loss = loss_fn(s, t)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    loss.backward()
    assert t.grad is None and conv.weight.grad is not None


def test_fitnet_lists_and_channel_errors():
    loss_fn = MODELS.build(
        dict(
            type='FitNetLoss',
            student_channels=[2, 3],
            teacher_channels=[4, 6]))
    s = [torch.randn(2, 2, 4, 4), torch.randn(2, 3, 2, 2)]
    t = [torch.randn(2, 4, 4, 4), torch.randn(2, 6, 2, 2)]
    assert loss_fn(s, t).dim() == 0
    with pytest.raises(ValueError, match='expected 2 student channels'):
        loss_fn([t[0], s[1]], t)
    with pytest.raises(ValueError, match='student_channels'):
        FitNetLoss([1, 2], [3])

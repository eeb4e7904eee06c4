"""CWDLoss and DISTLoss (issue 32): hand-computed values on tiny maps, the
mask, the temperature, the shapes they refuse, and that only the student
gets gradients."""
import math

import pytest
import torch

import selfkd_seg  # noqa: F401
from selfkd_seg.models.losses import CWDLoss, DISTLoss
from selfkd_seg.models.losses.dense import integer_factor
from selfkd_seg.registry import MODELS


def _softmax(xs, tau=1.0):
    e = [math.exp(x / tau) for x in xs]
    return [v / sum(e) for v in e]


def _kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def _pearson(a, b, eps=1e-8):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    a, b = [x - ma for x in a], [y - mb for y in b]
    num = sum(x * y for x, y in zip(a, b))
    return num / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y
                                                         for y in b)) + eps)


# (1, 2, 1, 3): 2 channels (classes) over 3 positions (pixels)
S = [[0.0, 1.0, 2.0], [1.0, 0.0, 0.5]]
T = [[2.0, 0.0, 1.0], [0.0, 3.0, 1.0]]


def _maps(rows, requires_grad=False):
    return torch.tensor([[[r] for r in rows]], requires_grad=requires_grad)


def _cwd_by_hand(s, t, tau, keep=None):
    keep = keep or [True] * len(s[0])
    total = 0.0
    for s_c, t_c in zip(s, t):  # one channel: a distribution over positions
        s_c = [x for x, k in zip(s_c, keep) if k]
        t_c = [x for x, k in zip(t_c, keep) if k]
        total += _kl(_softmax(t_c, tau), _softmax(s_c, tau))
    return total * tau**2 / (1 * len(s))  # / (N * C)


def _dist_by_hand(s, t, tau=1.0, beta=1.0, gamma=1.0, keep=None):
    pixels = [i for i in range(len(s[0])) if keep is None or keep[i]]
    # per pixel: the class distribution (C values)
    y_s = [_softmax([c[i] for c in s], tau) for i in pixels]
    y_t = [_softmax([c[i] for c in t], tau) for i in pixels]
    inter = 1 - sum(_pearson(a, b) for a, b in zip(y_s, y_t)) / len(pixels)
    classes = range(len(s))
    intra = 1 - sum(
        _pearson([y[c] for y in y_s], [y[c] for y in y_t])
        for c in classes) / len(s)
    return tau**2 * (beta * inter + gamma * intra)


@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_cwd_matches_the_hand_computation(tau):
    loss = CWDLoss(tau=tau)(_maps(S), _maps(T))
    assert loss.item() == pytest.approx(_cwd_by_hand(S, T, tau), rel=1e-5)


def test_cwd_first_value_written_out():
    """tau 1 on one channel pair written out: p_T = softmax(2, 0) =
    (0.8808, 0.1192), p_S = softmax(0, 1) = (0.2689, 0.7311); KL = 0.8289,
    and the same for the mirrored second channel, / (N * C) = 2."""
    s = torch.tensor([[[[0.0, 1.0]], [[1.0, 0.0]]]])
    t = torch.tensor([[[[2.0, 0.0]], [[0.0, 2.0]]]])
    kl = (0.880797 * math.log(0.880797 / 0.268941) +
          0.119203 * math.log(0.119203 / 0.731059))
    assert CWDLoss(tau=1.0)(s, t).item() == pytest.approx(kl, rel=1e-5)


def test_cwd_temperature_and_weight_scale_as_documented():
    s, t = _maps(S), _maps(T)
    assert CWDLoss(
        tau=2.0, loss_weight=3.0)(s, t).item() == pytest.approx(
            3.0 * _cwd_by_hand(S, T, 2.0), rel=1e-5)
    # tau -> the logits / tau of tau = 1, times tau^2
    assert CWDLoss(tau=2.0)(s, t).item() == pytest.approx(
        4.0 * CWDLoss(tau=1.0)(s / 2, t / 2).item(), rel=1e-5)
    assert CWDLoss(tau=1.0)(t, t).item() == pytest.approx(0.0, abs=1e-7)


def test_cwd_mask_leaves_positions_out_of_the_spatial_softmax():
    keep = [True, False, True]
    mask = torch.tensor([[keep]])
    loss = CWDLoss(tau=1.0)(_maps(S), _maps(T), mask)
    assert loss.item() == pytest.approx(
        _cwd_by_hand(S, T, 1.0, keep), rel=1e-5)
    # a masked-out position does not matter at all
    s2 = _maps(S).clone()
    s2[..., 1] = 100.0
    assert CWDLoss(tau=1.0)(s2, _maps(T), mask).item() == pytest.approx(
        loss.item(), rel=1e-6)


def test_cwd_images_without_kept_positions_do_not_count():
    s = torch.cat([_maps(S), _maps(T)])
    t = torch.cat([_maps(T), _maps(S)])
    mask = torch.tensor([[[True] * 3], [[False] * 3]])
    assert CWDLoss(tau=1.0)(s, t, mask).item() == pytest.approx(
        _cwd_by_hand(S, T, 1.0), rel=1e-5)
    s = s.clone().requires_grad_()
    loss = CWDLoss()(s, t, torch.zeros_like(mask))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(s.grad, torch.zeros_like(s))


def test_dist_matches_the_hand_computation():
    loss = DISTLoss()(_maps(S), _maps(T))
    assert loss.item() == pytest.approx(_dist_by_hand(S, T), rel=1e-5)
    loss = DISTLoss(beta=2.0, gamma=0.5, tau=3.0)(_maps(S), _maps(T))
    assert loss.item() == pytest.approx(
        _dist_by_hand(S, T, tau=3.0, beta=2.0, gamma=0.5), rel=1e-5)


def test_dist_every_pixel_of_the_batch_is_one_sample():
    """(B, C, H, W) -> (B * H * W, C): two images of one pixel row each are
    the same as one image with both rows side by side."""
    s = torch.randn(2, 4, 3, 5)
    t = torch.randn(2, 4, 3, 5)
    side_by_side = lambda x: torch.cat([x[0], x[1]], dim=-1)[None]  # noqa
    assert DISTLoss()(s, t).item() == pytest.approx(
        DISTLoss()(side_by_side(s), side_by_side(t)).item(), rel=1e-5)
    # (B, C) logits: the classification form, rows are samples
    rows_s = s.permute(0, 2, 3, 1).reshape(-1, 4)
    rows_t = t.permute(0, 2, 3, 1).reshape(-1, 4)
    assert DISTLoss()(rows_s, rows_t).item() == pytest.approx(
        DISTLoss()(s, t).item(), rel=1e-5)


def test_dist_mask_keeps_only_the_masked_in_pixels_as_samples():
    keep = [True, False, True]
    loss = DISTLoss()(_maps(S), _maps(T), torch.tensor([[keep]]))
    assert loss.item() == pytest.approx(
        _dist_by_hand(S, T, keep=keep), rel=1e-5)
    # nothing kept: an exact 0 in the graph
    s = _maps(S, requires_grad=True)
    loss = DISTLoss()(s, _maps(T), torch.zeros(1, 1, 3, dtype=torch.bool))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(s.grad, torch.zeros_like(s))


def test_dist_single_sample_has_finite_gradients():
    """One kept pixel: every class column is constant, its correlation 0
    (the authors' eps), and the gradient stays finite."""
    s = _maps(S, requires_grad=True)
    keep = torch.tensor([[[True, False, False]]])
    loss = DISTLoss()(s, _maps(T), keep)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(s.grad).all()


@pytest.mark.parametrize(
    'loss', [CWDLoss(), DISTLoss()], ids=lambda x: type(x).__name__)
def test_only_the_student_gets_gradients(loss):
    s = torch.randn(2, 3, 4, 4, requires_grad=True)
    t = torch.randn(2, 3, 4, 4, requires_grad=True)
    loss(s, t).backward()
    assert t.grad is None
    assert s.grad is not None and s.grad.abs().sum() > 0
    # also under a mask, and with half precision inputs (float32 inside)
    s.grad = None
    mask = torch.rand(2, 4, 4, generator=torch.Generator().manual_seed(0))
    out = loss(s.half(), t.half(), mask > 0.3)
    assert out.dtype == torch.float32
    out.backward()
    assert t.grad is None and s.grad.abs().sum() > 0


@pytest.mark.parametrize('cls', [CWDLoss, DISTLoss])
def test_student_resized_to_the_teacher_by_an_integer_factor(cls):
    s = torch.randn(1, 3, 4, 6)
    t = torch.randn(1, 3, 8, 12)
    up = torch.nn.functional.interpolate(
        s, size=(8, 12), mode='bilinear', align_corners=False)
    assert cls()(s, t).item() == pytest.approx(cls()(up, t).item(), rel=1e-6)
    # a finer student is brought down to the teacher's size as well
    assert torch.isfinite(cls()(torch.randn(1, 3, 16, 24), t))


@pytest.mark.parametrize('cls', [CWDLoss, DISTLoss])
def test_clear_errors_on_shapes_that_cannot_be_matched(cls):
    name = cls.__name__
    with pytest.raises(
            ValueError,
            match=rf'{name}: the student map '
            r'\(1, 3, 4, 6\) and the teacher map \(1, 3, 6, 9\)'):
        cls()(torch.randn(1, 3, 4, 6), torch.randn(1, 3, 6, 9))
    # two different factors (2 and 3) are no single one
    with pytest.raises(ValueError, match='no single integer factor'):
        cls()(torch.randn(1, 3, 4, 4), torch.randn(1, 3, 8, 12))
    with pytest.raises(
            ValueError,
            match='differ in batch size or channels'
            '.*ConvBNConnector'):
        cls()(torch.randn(1, 3, 4, 4), torch.randn(1, 5, 4, 4))
    with pytest.raises(ValueError, match='the mask has shape'):
        cls()(torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4),
              torch.ones(1, 2, 2, dtype=torch.bool))
    # a list of levels is the feature path: a third list is margins
    feats = [torch.randn(1, 3, 4, 4)]
    with pytest.raises(ValueError, match='distill.margin=None'):
        cls()(feats, feats, [torch.zeros(3)])


def test_cwd_refuses_image_logits():
    with pytest.raises(ValueError, match=r'CWDLoss expects \(B, C, H, W\)'):
        CWDLoss()(torch.randn(2, 3), torch.randn(2, 3))


def test_lists_of_levels_are_summed():
    s = [torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 2)]
    t = [torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 2)]
    for cls in (CWDLoss, DISTLoss):
        loss = cls()
        assert loss(s, t).item() == pytest.approx(
            loss(s[0], t[0]).item() + loss(s[1], t[1]).item(), rel=1e-6)


def test_integer_factor():
    assert integer_factor((4, 6), (4, 6)) == 1
    assert integer_factor((4, 6), (8, 12)) == 2
    assert integer_factor((16, 24), (4, 6)) == 4
    assert integer_factor((4, 4), (8, 12)) is None
    assert integer_factor((4, 6), (6, 9)) is None


@pytest.mark.parametrize('scope', ['mmseg', 'mmpretrain'])
def test_registered_for_every_codebase(scope):
    from mmengine.registry import init_default_scope
    pytest.importorskip(scope)
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    for name, cls in (('CWDLoss', CWDLoss), ('DISTLoss', DISTLoss)):
        assert type(registry.build(dict(type=name))) is cls
        assert MODELS.get(name) is cls


@pytest.mark.parametrize('kwargs, match', [
    (dict(tau=0), 'tau must be > 0'),
    (dict(resolution='input'), 'resolution must be one of'),
])
def test_bad_arguments(kwargs, match):
    for cls in (CWDLoss, DISTLoss):
        with pytest.raises(ValueError, match=match):
            cls(**kwargs)
    with pytest.raises(ValueError, match='beta and gamma must be >= 0'):
        DISTLoss(gamma=-1)

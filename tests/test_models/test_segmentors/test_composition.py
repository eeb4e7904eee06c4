"""FRSKD segmentors are composed of parts (issue 31): one registered
self-teacher component, a plan deriving it from the student and a head
runner; each registered segmentor sits directly on one mmseg class."""
import inspect

import pytest
import torch
import torch.nn.functional as F
from mmseg.models.segmentors import BaseSegmentor

import selfkd_seg  # noqa: F401
from selfkd_seg.models.distillers import (SelfTeacherLeadTarget, pixel_ce_pair,
                                          pixel_kd)
from selfkd_seg.models.losses import KDLoss
from selfkd_seg.models.segmentors import (FRSKDCascadeEncoderDecoder,
                                          FRSKDEncoderDecoder, FRSKDSegmentor,
                                          SFDSegmentor)
from selfkd_seg.models.self_teachers import (CascadeHeadRunner, SegSelfTeacher,
                                             SingleHeadRunner)
from selfkd_seg.registry import MODELS

SEGMENTORS = (FRSKDSegmentor, FRSKDEncoderDecoder, FRSKDCascadeEncoderDecoder,
              SFDSegmentor)


@pytest.mark.parametrize('cls', SEGMENTORS, ids=lambda c: c.__name__)
def test_each_segmentor_is_one_level_below_an_mmseg_class(cls):
    """No registered segmentor of ours derives from another: its direct
    bases are mixins and exactly one mmseg segmentor class."""
    ours = [
        c for c in cls.__mro__[1:] if c.__module__.startswith('selfkd_seg.')
        and issubclass(c, BaseSegmentor)
    ]
    assert ours == []
    mmseg_bases = [
        b for b in cls.__bases__ if b.__module__.startswith('mmseg.')
    ]
    assert len(mmseg_bases) == 1 and issubclass(mmseg_bases[0], BaseSegmentor)


def test_the_frskd_segmentors_differ_only_in_their_parts():
    """The three FRSKD segmentors define no method of their own: loss,
    prediction and the lead contract come from FRSKDSegMixin, the
    differences from the plan and the head runner they name."""
    for cls in (FRSKDSegmentor, FRSKDEncoderDecoder,
                FRSKDCascadeEncoderDecoder):
        own = {
            name
            for name, value in vars(cls).items() if inspect.isfunction(value)
        }
        assert own == set(), (cls.__name__, own)
    assert isinstance(FRSKDCascadeEncoderDecoder.head_runner,
                      CascadeHeadRunner)
    assert type(FRSKDEncoderDecoder.head_runner) is SingleHeadRunner
    assert type(FRSKDSegmentor.plan).__name__ == 'BiFPNStackPlan'
    assert type(FRSKDEncoderDecoder.plan).__name__ == 'LevelPlan'
    assert MODELS.get('SegSelfTeacher') is SegSelfTeacher


def test_frskd_segmentors_declare_the_lead_contract():
    for cls in (FRSKDSegmentor, FRSKDEncoderDecoder,
                FRSKDCascadeEncoderDecoder):
        for name in ('self_teacher_view', 'gate_lead_source',
                     'set_held_out_lead', 'ignore_index'):
            assert hasattr(cls, name), (cls.__name__, name)
    assert not isinstance(torch.nn.Linear(1, 1), SelfTeacherLeadTarget)


def _tiny_self_teacher(order=None, in_index=None):
    neck = dict(
        type='WeightedBiFPN',
        in_channels=[2, 2],
        out_channels=2,
        num_layers=1,
        min_level=0,
        max_level=1,
        backbone_min_level=0)
    head = dict(
        type='FCNHead',
        in_channels=2,
        channels=2,
        num_convs=0,
        concat_input=False,
        num_classes=3,
        in_index=0)
    return SegSelfTeacher(neck, head, in_index=in_index, order=order)


def test_self_teacher_selects_and_returns_levels_in_the_configs_order():
    """order feeds the BiFPN finest first; refine() answers in in_index's
    order again, so refined[k] belongs to select(feats)[k]."""
    torch.manual_seed(0)
    st = _tiny_self_teacher(order=[1, 0], in_index=[2, 0]).eval()
    coarse, fine = torch.randn(1, 2, 4, 4), torch.randn(1, 2, 8, 8)
    feats = [fine, torch.randn(1, 2, 6, 6), coarse]
    levels = st.select(feats)
    assert levels[0] is coarse and levels[1] is fine
    refined = st.refine(levels)
    assert refined[0].shape[-2:] == (4, 4)
    assert refined[1].shape[-2:] == (8, 8)
    # the BiFPN itself got them finest first
    direct = st.neck([fine, coarse])
    assert torch.equal(refined[0], direct[1])
    assert torch.equal(refined[1], direct[0])


def test_self_teacher_refuses_an_order_that_is_no_permutation():
    with pytest.raises(
            ValueError,
            match='order=\\[0, 0\\] must be a '
            'permutation of the positions of in_index'):
        _tiny_self_teacher(order=[0, 0], in_index=[0, 1])


def test_pixel_kd_takes_tensors_and_matches_a_hand_computation():
    """KD at the labels' size over the non-ignored pixels; with a pixel
    rule, the kept pixels weigh 1 / valid pixels and the kept fraction is
    returned."""
    s = torch.tensor([[[[0.0, 1.0]], [[1.0, 0.0]]]])  # (1, 2, 1, 2)
    t = torch.tensor([[[[2.0, 0.0]], [[0.0, 2.0]]]])
    labels = torch.tensor([[[1, 255]]])
    kd = KDLoss(temperature=1.0)
    loss, kept = pixel_kd(kd, s, t, labels, 255, False)
    p_t = F.softmax(t[0, :, 0, 0], 0)
    by_hand = (p_t * (p_t.log() - F.log_softmax(s[0, :, 0, 0], 0))).sum()
    assert kept is None
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-6)
    # a rule keeping no pixel: zero loss, kept 0
    loss, kept = pixel_kd(kd, s, t, labels, 255, False,
                          lambda lab, st, tt, valid: torch.zeros_like(valid))
    assert loss.item() == 0.0 and kept.item() == 0.0
    # with labels everywhere and a rule keeping one of the two pixels, that
    # pixel's KD over both valid pixels
    labels = torch.tensor([[[1, 0]]])
    keep_first = torch.tensor([[[True, False]]])
    loss, kept = pixel_kd(kd, s, t, labels, 255, False,
                          lambda lab, st, tt, valid: keep_first)
    assert kept.item() == 0.5
    assert loss.item() == pytest.approx(by_hand.item() / 2, rel=1e-6)


def test_pixel_ce_pair_compares_the_same_pixels():
    s = torch.zeros(1, 2, 1, 2)
    t = torch.tensor([[[[5.0, 0.0]], [[0.0, 0.0]]]])
    labels = torch.tensor([[[0, 255]]])
    student_ce, teacher_ce = pixel_ce_pair(s, t, labels, 255, False)
    assert student_ce.item() == pytest.approx(torch.log(torch.tensor(2.)))
    assert teacher_ce.item() == pytest.approx(
        -F.log_softmax(torch.tensor([5.0, 0.0]), 0)[0].item(), rel=1e-6)

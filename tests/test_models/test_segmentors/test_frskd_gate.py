"""DistillGate and the gated FRSKDSegmentor: the pixels, the factor, the
gradients (issue 20)."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from test_frskd_segmentor import build, samples

from selfkd_seg.models.distillers import DistillGate
from selfkd_seg.models.losses import KDLoss


def _logits(*pixels):
    """(1, C, 1, N) logits from per-pixel class scores."""
    return torch.tensor(pixels, dtype=torch.float32).t()[None, :, None, :]


def test_teacher_correct_keeps_exactly_the_pixels_the_teacher_gets_right():
    # 4 pixels, 3 classes; labels 0, 1, 2, 255 (ignored)
    labels = torch.tensor([[[0, 1, 2, 255]]])
    valid = labels != 255
    teacher = _logits(
        [3., 0., 0.],  # argmax 0 = label 0: kept
        [2., 1., 0.],  # argmax 0 != label 1: dropped
        [0., 0., 5.],  # argmax 2 = label 2: kept
        [0., 9., 0.])  # ignored pixel: dropped
    student = torch.zeros_like(teacher)
    gate = DistillGate(pixel='teacher_correct')
    mask = gate.pixel_mask(labels, student, teacher, valid)
    assert mask.tolist() == [[[True, False, True, False]]]


def test_teacher_more_confident_compares_true_class_probabilities():
    labels = torch.tensor([[[0, 1, 1]]])
    valid = torch.ones_like(labels, dtype=torch.bool)
    # p_teacher(true) vs p_student(true), by hand:
    # px0: teacher softmax([2,0])[0] = 0.881 > student softmax([1,0])[0] =
    # 0.731
    # px1: teacher softmax([2,0])[1] = 0.119 < student softmax([0,0])[1] = 0.5
    # px2: teacher softmax([0,1])[1] = 0.731 > student softmax([0,0])[1] = 0.5
    teacher = _logits([2., 0.], [2., 0.], [0., 1.])
    student = _logits([1., 0.], [0., 0.], [0., 0.])
    gate = DistillGate(pixel='teacher_more_confident')
    mask = gate.pixel_mask(labels, student, teacher, valid)
    assert mask.tolist() == [[[True, False, True]]]
    # no pixel rule: every valid pixel
    assert DistillGate(pixel=None).pixel_mask(labels, student, teacher,
                                              valid).all()


def test_running_lead_and_factor_by_hand():
    gate = DistillGate(lead=True, lead_margin=0.1, momentum=0.5)
    gate.train()
    assert gate.factor() == 0.0  # nothing measured: closed
    # batch 1: relative lead (1.0 - 0.9) / 1.0 = 0.1 -> ema 0.5 * 0.1 = 0.05
    rel = gate.update(torch.tensor(1.0), torch.tensor(0.9))
    assert rel.item() == pytest.approx(0.1)
    assert gate.lead_ema.item() == pytest.approx(0.05)
    assert gate.factor() == pytest.approx(0.5)  # 0.05 / 0.1
    # batch 2: (2.0 - 1.4) / 2.0 = 0.3 -> ema 0.5 * 0.05 + 0.5 * 0.3 = 0.175
    gate.update(torch.tensor(2.0), torch.tensor(1.4))
    assert gate.lead_ema.item() == pytest.approx(0.175)
    assert gate.factor() == 1.0  # clamped
    # a self-teacher behind the student closes the gate again
    for _ in range(20):
        gate.update(torch.tensor(1.0), torch.tensor(1.2))
    assert gate.lead_ema.item() < 0 and gate.factor() == 0.0
    # eval mode measures but does not move the running lead
    gate.eval()
    before = gate.lead_ema.clone()
    gate.update(torch.tensor(1.0), torch.tensor(0.0))
    assert torch.equal(gate.lead_ema, before)
    # without lead the factor is always 1
    assert DistillGate(lead=False).factor() == 1.0


def test_scale_grad_keeps_values_and_scales_the_gradient():
    gate = DistillGate(lead=True)
    x = torch.randn(2, 3, requires_grad=True)
    (y, ) = gate.scale_grad([x], 0.25)
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, 0.25))
    # full factor: the very same tensors (no extra ops)
    assert gate.scale_grad([x], 1.0)[0] is x
    # trunk_grad off (or no lead): untouched
    assert DistillGate(lead=True, trunk_grad=False).scale_grad([x], 0.)[0] is x
    assert DistillGate(lead=False).scale_grad([x], 0.)[0] is x


@pytest.mark.parametrize('kwargs, match', [
    (dict(pixel='teacher_right'), 'gate.pixel'),
    (dict(lead_margin=0.), 'lead_margin'),
    (dict(momentum=0.), 'momentum'),
    (dict(momentum=1.5), 'momentum'),
])
def test_bad_arguments_name_the_key(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DistillGate(**kwargs)


def test_config_typo_in_gate_is_refused():
    with pytest.raises(KeyError, match="did you mean 'lead_margin'"):
        build(gate=dict(lead_margn=0.1))


def _grads(model, loss):
    model.zero_grad()
    loss.backward(retain_graph=True)
    return {
        n: p.grad.clone()
        for n, p in model.named_parameters()
        if not n.startswith('self_teacher') and p.grad is not None
    }


def test_closed_gate_trains_the_student_exactly_as_the_baseline():
    """lead_ema 0: no KD, no AT, and the self-teacher's CE does not reach
    the student: the student's gradient is that of its own CE alone."""
    model = build(gate=dict(pixel='teacher_correct', lead=True))
    model.train()
    inputs = torch.randn(
        2, 3, 64, 48, generator=torch.Generator().manual_seed(3))
    losses = model.loss(inputs, samples())
    assert losses['gate.factor'].item() == 0.0
    assert losses['loss_kd'].item() == 0.0 and losses['loss_feat'].item(
    ) == 0.0
    assert losses['gate.kd_kept'].item() == 0.0
    # the batch's relative CE lead went into the running lead (momentum 0.1)
    s_ce = losses['decode.loss_ce'].item()
    t_ce = losses['self_teacher.loss_ce'].item()
    rel = max(-1.0, min(1.0, (s_ce - t_ce) / s_ce))
    assert model.distill_gate.lead_ema.item() == pytest.approx(
        0.1 * rel, rel=1e-4)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    own = _grads(model, losses['decode.loss_ce'])
    full = _grads(model, total)
    assert own and set(own) <= set(full)
    for name in full:
        # student BiFPN outputs only the self-teacher reads (P3..P7) get an
        # exact zero (the gradient scaled by 0), not None
        expected = own.get(name, torch.zeros_like(full[name]))
        assert torch.equal(full[name], expected), name
    # the self-teacher still trains on its own CE
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for n, p in model.named_parameters()
               if n.startswith('self_teacher.decode_head.conv_seg'))


def test_open_gate_distils_only_on_the_kept_pixels():
    model = build(
        gate=dict(pixel='teacher_correct', lead=True, lead_margin=0.1))
    model.train()
    model.distill_gate.lead_ema.fill_(1.0)  # the self-teacher leads
    batch = samples()
    inputs = torch.randn(
        2, 3, 64, 48, generator=torch.Generator().manual_seed(3))
    torch.manual_seed(7)  # the backbone's drop-connect draws
    # the self-teacher's dropout draws from its own stream: replay it
    self_teacher_rng = copy.deepcopy(model.self_teacher_rng)
    losses = model.loss(inputs, batch)
    assert losses['gate.factor'].item() == 1.0
    # the KD term by hand on the kept pixels, same draws
    torch.manual_seed(7)
    feats = model.extract_feat(inputs)
    s_logits = model.decode_head(feats)
    with self_teacher_rng.step():
        _, t_logits = model.self_teacher(feats)
    labels = torch.stack([s.gt_sem_seg.data for s in batch]).squeeze(1)
    s_up, t_up = (
        F.interpolate(
            x,
            labels.shape[-2:],
            mode='bilinear',
            align_corners=model.align_corners) for x in (s_logits, t_logits))
    keep = (labels != 255) & (t_up.argmax(1) == labels)
    kl = F.kl_div(
        F.log_softmax(s_up, 1),
        F.log_softmax(t_up, 1),
        reduction='none',
        log_target=True).sum(1)
    # a kept pixel weighs what it weighs without the gate: 1 / valid
    # pixels (KDLoss's 'valid' normalizer), not 1 / kept pixels
    expected = (kl * keep).sum() / (labels != 255).sum()
    assert keep.sum() > 0 and not keep[labels != 255].all()
    assert losses['loss_kd'].item() == pytest.approx(expected.item(), rel=1e-4)
    kept = keep.sum().item() / (labels != 255).sum().item()
    assert losses['gate.kd_kept'].item() == pytest.approx(kept)


def test_ce_lead_is_logged_without_a_gate_and_is_not_a_loss():
    model = build()
    model.train()
    inputs, batch = torch.randn(2, 3, 64, 48), samples()
    torch.manual_seed(7)
    self_teacher_rng = copy.deepcopy(model.self_teacher_rng)
    losses = model.loss(inputs, batch)
    lead = losses['self_teacher.ce_lead']
    assert not lead.requires_grad
    # both CEs over the same labelled pixels, by hand with the same draws
    torch.manual_seed(7)
    feats = model.extract_feat(inputs)
    s_logits = model.decode_head(feats)
    with self_teacher_rng.step():
        _, t_logits = model.self_teacher(feats)
    labels = torch.stack([s.gt_sem_seg.data for s in batch]).squeeze(1)
    ces = [
        F.cross_entropy(
            F.interpolate(
                x,
                labels.shape[-2:],
                mode='bilinear',
                align_corners=model.align_corners),
            labels.long(),
            ignore_index=255) for x in (s_logits, t_logits)
    ]
    assert lead.item() == pytest.approx((ces[0] - ces[1]).item(), abs=1e-5)
    # mmengine logs it but does not add it to the optimised total
    total, log_vars = model.parse_losses(losses)
    expected_total = sum(v for k, v in losses.items() if 'loss' in k)
    assert total.item() == pytest.approx(expected_total.item())
    assert log_vars['self_teacher.ce_lead'] == pytest.approx(lead.item())


def test_detached_self_teacher_sends_no_gradient_into_the_student():
    model = build(
        self_teacher=dict(
            neck=dict(
                type='WeightedBiFPN',
                in_channels=[8] * 6,
                out_channels=8,
                num_layers=1,
                norm_cfg=dict(type='BN', momentum=0.01, eps=1e-3)),
            detach_input=True))
    model.train()
    losses = model.loss(torch.randn(2, 3, 64, 48), samples())
    model.zero_grad()
    losses['self_teacher.loss_ce'].backward()
    student = [(n, p) for n, p in model.named_parameters()
               if not n.startswith('self_teacher')]
    assert all(p.grad is None or p.grad.abs().sum() == 0 for _, p in student)
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for n, p in model.named_parameters()
               if n.startswith('self_teacher'))


def test_gate_state_is_training_only_and_resumes():
    from selfkd_seg.models.utils.distill import split_student_state_dict
    model = build(gate=dict())
    model.distill_gate.lead_ema.fill_(0.042)
    state = model.state_dict()
    student, extra = split_student_state_dict(state)
    assert 'distill_gate.lead_ema' in extra
    assert not any(k.startswith('distill_gate') for k in student)
    again = build(gate=dict())
    again.load_state_dict(state)
    assert math.isclose(
        again.distill_gate.lead_ema.item(), 0.042, rel_tol=1e-6)


def test_self_teacher_view_predicts_with_the_self_teacher_and_restores():
    model = build()
    model.eval()
    inputs = torch.randn(1, 3, 64, 48)
    metas = [dict(img_shape=(64, 48), ori_shape=(64, 48), pad_shape=(64, 48))]
    with torch.no_grad():
        student = model.encode_decode(inputs, metas)
        with model.self_teacher_view():
            teacher = model.encode_decode(inputs, metas)
        again = model.encode_decode(inputs, metas)
        feats = model.extract_feat(inputs)
        _, t_logits = model.self_teacher(feats)
        t_up = F.interpolate(
            t_logits, (64, 48),
            mode='bilinear',
            align_corners=model.align_corners)
    assert torch.equal(student, again)
    assert not torch.allclose(student, teacher)
    assert torch.allclose(teacher, t_up, atol=1e-5)
    with pytest.raises(RuntimeError):
        with model.self_teacher_view():
            raise RuntimeError('boom')
    assert model._predict_with_self_teacher is False


def test_kd_loss_averages_over_the_masked_in_pixels_by_hand():
    # what a gated KD reduces to: the KD loss averaged over its mask
    s = _logits([1., 0.], [0., 1.])
    t = _logits([0., 1.], [0., 1.])
    mask = torch.tensor([[[True, False]]])
    kl0 = F.kl_div(
        F.log_softmax(s, 1), F.softmax(t, 1), reduction='none').sum(1)[0, 0, 0]
    assert KDLoss(temperature=1.)(s, t,
                                  mask).item() == pytest.approx(kl0.item())


def test_all_normalizer_counts_every_pixel_as_the_authors():
    """KDLoss(normalizer='all') in the segmentor: the KL summed over every
    pixel, the ignored (255) ones included, / (B * H * W) (the FRSKD
    authors' DistillKL); 'valid' averages over the labelled pixels."""
    batch = samples()
    labels = torch.stack([s.gt_sem_seg.data for s in batch]).squeeze(1)
    assert (labels == 255).any()
    results = {}
    for normalizer in ('all', 'valid'):
        model = build(
            distill=dict(
                alpha=1.0,
                beta=0.0,
                kd_loss=dict(
                    type='KDLoss', temperature=1.0, normalizer=normalizer)))
        model.eval()  # no drop-connect / dropout draws
        x = torch.randn(
            2, 3, 64, 48, generator=torch.Generator().manual_seed(4))
        with torch.no_grad():
            losses = model.loss(x, batch)
            feats = model.extract_feat(x)
            s_up, t_up = (
                F.interpolate(
                    logits,
                    labels.shape[-2:],
                    mode='bilinear',
                    align_corners=model.align_corners)
                for logits in (model.decode_head(feats),
                               model.self_teacher(feats)[1]))
        kl = F.kl_div(
            F.log_softmax(s_up, 1),
            F.log_softmax(t_up, 1),
            reduction='none',
            log_target=True).sum(1)
        results[normalizer] = (losses['loss_kd'].item(), kl)
    loss_all, kl = results['all']
    assert loss_all == pytest.approx(kl.sum().item() / kl.numel(), rel=1e-4)
    loss_valid, kl = results['valid']
    valid = labels != 255
    assert loss_valid == pytest.approx(
        (kl * valid).sum().item() / valid.sum().item(), rel=1e-4)


def test_partly_open_gate_scales_both_terms_by_the_factor():
    """factor 0.5 (lead_ema half the margin): loss_kd and loss_feat are half
    of the open gate's, with the same draws; the factor of the step is the
    running lead from before it."""
    out = {}
    for ema in (0.05, 1.0):
        model = build(gate=dict(pixel=None, lead=True, lead_margin=0.1))
        model.train()
        model.distill_gate.lead_ema.fill_(ema)
        torch.manual_seed(11)
        out[ema] = model.loss(
            torch.randn(
                2, 3, 64, 48, generator=torch.Generator().manual_seed(5)),
            samples())
    assert out[0.05]['gate.factor'].item() == pytest.approx(0.5)
    for key in ('loss_kd', 'loss_feat'):
        assert out[0.05][key].item() == pytest.approx(
            0.5 * out[1.0][key].item(), rel=1e-5)


def test_held_out_lead_source_opens_on_the_hooks_lead():
    gate = DistillGate(lead=True, lead_source='held_out', lead_margin=1.0)
    assert gate.factor() == 0.0  # nothing measured yet: closed
    gate.set_held_out_lead(0.4)  # self-teacher 0.4 mIoU points ahead
    assert gate.factor() == pytest.approx(0.4)
    gate.set_held_out_lead(2.5)
    assert gate.factor() == 1.0
    gate.set_held_out_lead(-0.3)
    assert gate.factor() == 0.0
    # the train CE lead does not move it
    gate.train()
    gate.update(torch.tensor(1.0), torch.tensor(0.1))
    assert gate.factor() == 0.0
    # resumable: the last measured lead is in the state dict
    gate.set_held_out_lead(0.7)
    again = DistillGate(lead=True, lead_source='held_out', lead_margin=1.0)
    again.load_state_dict(gate.state_dict())
    assert again.factor() == pytest.approx(0.7)
    with pytest.raises(ValueError, match='lead_source'):
        DistillGate(lead_source='test')
    # the val split is where mIoU is reported: never a source
    with pytest.raises(ValueError, match="held_out"):
        DistillGate(lead_source='val')
    with pytest.raises(RuntimeError, match='train_ce'):
        DistillGate(lead_source='train_ce').set_held_out_lead(1.0)


def test_closed_gate_detaches_and_sends_not_even_zero_gradients():
    """Factor 0: the student's levels only the self-teacher reads get no
    gradient at all (None, as in the baseline), not zeros that weight
    decay and momentum would then act on."""
    model = build(gate=dict(pixel=None, lead=True, lead_margin=0.1))
    model.train()
    losses = model.loss(torch.randn(2, 3, 64, 48), samples())
    assert losses['gate.factor'].item() == 0.0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    # the student head reads P2 only: the last BiFPN layer's P3..P7 output
    # nodes are reached by the self-teacher alone
    only_self_teacher = [
        n for n, p in model.named_parameters()
        if n.startswith('neck.') and p.grad is None
    ]
    assert only_self_teacher
    assert all(p.grad is not None for n, p in model.named_parameters()
               if n.startswith('self_teacher.decode_head.conv_seg'))

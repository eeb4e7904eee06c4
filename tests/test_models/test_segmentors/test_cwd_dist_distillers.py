"""CWD and DIST inside the distillers (issue 32 items 1 and 3): pixel_kd at
the logits' size, FRSKD with CWD/DIST as its soft-label term (with and
without the gate), SFD with a CWD/DIST logit term beside its feature term,
CWD on feature levels through an integrator, and a cross-architecture pair
whose logits differ in size."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from test_frskd_segmentor import build as build_frskd
from test_frskd_segmentor import inputs as frskd_inputs
from test_frskd_segmentor import samples as frskd_samples

import selfkd_seg  # noqa: F401
from selfkd_seg.models.distillers import pixel_kd
from selfkd_seg.models.losses import CWDLoss, DISTLoss, KDLoss
from selfkd_seg.models.utils import strip_distill_only

BN = dict(type='BN', requires_grad=True)
NUM_CLASSES = 4
LOSSES = {
    'cwd': dict(type='CWDLoss', tau=4.0),
    'dist': dict(type='DISTLoss'),
}


def _labels_nearest(labels, size):
    return F.interpolate(
        labels[:, None].float(), size=size, mode='nearest')[:, 0].long()


# ---------------------------------------------------------------- pixel_kd
def _pixel_kd_inputs():
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(2, 3, 4, 6, generator=gen)
    t = torch.randn(2, 3, 4, 6, generator=gen)
    labels = torch.randint(0, 3, (2, 16, 24), generator=gen)
    labels[:, :8] = 255  # the top half of the map is ignored
    return s, t, labels


@pytest.mark.parametrize('cls', [CWDLoss, DISTLoss])
def test_pixel_kd_at_the_teacher_logits_size_every_pixel(cls):
    """The authors' way: at the logits' own size, every pixel counted, the
    ignored ones too."""
    s, t, labels = _pixel_kd_inputs()
    loss = cls()
    got, kept = pixel_kd(loss, s, t, labels, 255, False)
    assert kept is None
    assert got.item() == pytest.approx(loss(s, t).item(), rel=1e-6)


@pytest.mark.parametrize('cls', [CWDLoss, DISTLoss])
def test_pixel_kd_can_exclude_the_ignored_pixels(cls):
    s, t, labels = _pixel_kd_inputs()
    loss = cls(exclude_ignored=True)
    got, _ = pixel_kd(loss, s, t, labels, 255, False)
    valid = _labels_nearest(labels, (4, 6)) != 255
    assert valid.any() and not valid.all()
    assert got.item() == pytest.approx(loss(s, t, valid).item(), rel=1e-6)
    assert got.item() != pytest.approx(loss(s, t).item(), rel=1e-3)


@pytest.mark.parametrize('cls', [CWDLoss, DISTLoss])
def test_pixel_kd_at_the_labels_size_as_kd(cls):
    s, t, labels = _pixel_kd_inputs()
    loss = cls(resolution='labels')
    got, _ = pixel_kd(loss, s, t, labels, 255, False)
    up = [
        F.interpolate(x, (16, 24), mode='bilinear', align_corners=False)
        for x in (s, t)
    ]
    assert got.item() == pytest.approx(loss(*up).item(), rel=1e-6)


@pytest.mark.parametrize('cls', [CWDLoss, DISTLoss])
def test_pixel_kd_resizes_the_student_to_the_teacher_logits(cls):
    """A 1/8 student against a 1/4 teacher (a CNN and a SegFormer)."""
    s, t, labels = _pixel_kd_inputs()
    t_fine = F.interpolate(t, (8, 12), mode='bilinear', align_corners=False)
    got, _ = pixel_kd(cls(), s, t_fine, labels, 255, False)
    s_up = F.interpolate(s, (8, 12), mode='bilinear', align_corners=False)
    assert got.item() == pytest.approx(cls()(s_up, t_fine).item(), rel=1e-6)
    with pytest.raises(
            ValueError,
            match=r'student map \(2, 3, 4, 6\) and '
            r'the teacher map \(2, 3, 6, 9\)'):
        pixel_kd(cls(), s, torch.randn(2, 3, 6, 9), labels, 255, False)


@pytest.mark.parametrize('cls', [CWDLoss, DISTLoss])
def test_pixel_kd_gate_rule_keeps_its_pixels_without_rescaling(cls):
    """A gate's pixel rule picks the pixels (at the logits' size, labels
    resized nearest; the ignored ones never kept); CWD/DIST are computed
    over them as they are, KDLoss's mean is brought back to the valid
    pixels."""
    s, t, labels = _pixel_kd_inputs()
    seen = {}

    def rule(lab, student, teacher, valid):
        seen['labels'] = lab
        return valid & (teacher.argmax(1) == lab)

    loss = cls()
    got, kept = pixel_kd(loss, s, t, labels, 255, False, rule)
    small = _labels_nearest(labels, (4, 6))
    assert torch.equal(seen['labels'], small)
    keep = (small != 255) & (t.argmax(1) == small)
    assert 0 < keep.sum() < (small != 255).sum()
    assert got.item() == pytest.approx(loss(s, t, keep).item(), rel=1e-6)
    assert kept.item() == pytest.approx(
        (keep.sum() / (small != 255).sum()).item())
    # KDLoss keeps its per-pixel weighting (1 / valid pixels)
    kd, kd_kept = pixel_kd(
        KDLoss(temperature=1.0), s, t, labels, 255, False, rule)
    up = [
        F.interpolate(x, (16, 24), mode='bilinear', align_corners=False)
        for x in (s, t)
    ]
    keep_full = (labels != 255) & (up[1].argmax(1) == labels)
    expected = KDLoss(temperature=1.0)(*up, keep_full) * (
        keep_full.sum() / (labels != 255).sum())
    assert kd.item() == pytest.approx(expected.item(), rel=1e-5)


# ------------------------------------------------------------------ FRSKD
def _trainable(model, skip=()):
    return [(n, p) for n, p in model.named_parameters()
            if p.requires_grad and not n.startswith(skip)]


def _without_grad(model, skip=()):
    return [
        n for n, p in _trainable(model, skip)
        if p.grad is None or not p.grad.abs().sum() > 0
    ]


@pytest.mark.parametrize('name', list(LOSSES))
def test_frskd_with_cwd_or_dist_soft_labels_trains(name):
    """FRSKD's self-teacher with CWD/DIST instead of the pixel KL: two SGD
    steps; every trainable parameter gets a gradient; the soft-label term
    reaches the student only."""
    model = build_frskd(
        # the self-teacher's BiFPN extends the student's, its last layer
        # ending top-down: every level it distils trains (as the configs)
        self_teacher=dict(neck=dict(num_layers=1)),
        distill=dict(alpha=1.0, beta=50.0, kd_loss=LOSSES[name]))
    assert type(model.distill_losses['kd']).__name__ == LOSSES[name]['type']
    model.train()
    optim = torch.optim.SGD(model.parameters(), lr=0.01)
    batch, x = frskd_samples(), frskd_inputs()
    for step in range(2):
        optim.zero_grad()
        losses = model.loss(x, batch)
        assert all(torch.isfinite(v) for v in losses.values())
        assert losses['loss_kd'] > 0
        if step == 0:
            st_params = [
                p for _, p in _trainable(model, ())
                if p in set(model.self_teacher.parameters())
            ]
            kd_grads = torch.autograd.grad(
                losses['loss_kd'],
                st_params,
                retain_graph=True,
                allow_unused=True)
            assert all(g is None or not g.abs().sum() > 0 for g in kd_grads)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        if step == 0:
            assert _without_grad(model) == []
        optim.step()


@pytest.mark.parametrize('name', list(LOSSES))
def test_frskd_kd_term_is_the_loss_on_the_logits_by_hand(name):
    """No gate: loss_kd = alpha * loss(student logits, self-teacher logits)
    at the logits' size, every pixel."""
    model = build_frskd(distill=dict(alpha=2.0, kd_loss=LOSSES[name]))
    model.eval()  # no drop-connect / dropout: the same logits twice
    x, batch = frskd_inputs(), frskd_samples()
    losses = model.loss(x, batch)
    feats = model.extract_feat(x)
    s_logits = model.decode_head(feats)
    _, t_logits = model.self_teacher(model.self_teacher.select(feats))
    expected = 2.0 * model.distill_losses['kd'](s_logits, t_logits)
    assert losses['loss_kd'].item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize('name', list(LOSSES))
def test_frskd_gate_with_cwd_or_dist(name):
    """The gate works with these losses: its pixel rule keeps the pixels
    where the self-teacher is right (at the logits' size), the loss is
    computed over them, alpha scaled by the gate's factor."""
    model = build_frskd(
        distill=dict(alpha=1.0, kd_loss=LOSSES[name]),
        gate=dict(pixel='teacher_correct', lead=True, lead_margin=0.1))
    model.eval()
    model.distill_gate.lead_ema.fill_(1.0)  # the self-teacher leads
    x, batch = frskd_inputs(), frskd_samples()
    losses = model.loss(x, batch)
    assert losses['gate.factor'].item() == 1.0
    feats = model.extract_feat(x)
    s_logits = model.decode_head(feats)
    _, t_logits = model.self_teacher(model.self_teacher.select(feats))
    labels = torch.stack([s.gt_sem_seg.data for s in batch]).squeeze(1)
    small = _labels_nearest(labels, t_logits.shape[-2:])
    keep = (small != 255) & (t_logits.argmax(1) == small)
    assert 0 < keep.sum() < (small != 255).sum()
    expected = model.distill_losses['kd'](s_logits, t_logits, keep)
    assert losses['loss_kd'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert losses['gate.kd_kept'].item() == pytest.approx(
        (keep.sum() / (small != 255).sum()).item())
    # half open: alpha halves
    model.distill_gate.lead_ema.fill_(0.05)
    half = model.loss(x, batch)
    assert half['gate.factor'].item() == pytest.approx(0.5)
    assert half['loss_kd'].item() == pytest.approx(
        0.5 * expected.item(), rel=1e-4)


def test_frskd_refuses_temperature_shorthand_and_loss_weight():
    with pytest.raises(
            ValueError,
            match=r"distill.temperature is the "
            r"temperature of KDLoss.*tau=\.\.\."):
        build_frskd(distill=dict(temperature=4.0, kd_loss=LOSSES['cwd']))
    with pytest.raises(
            ValueError, match='the weight of this term is '
            'distill.alpha'):
        build_frskd(
            distill=dict(kd_loss=dict(type='DISTLoss', loss_weight=2.0)))


# -------------------------------------------------------------------- SFD
def _resnet(width):
    """A narrow dilated ResNet-18 (output stride 8), ``8 * width``
    channels at C5."""
    return dict(
        type='ResNetV1c',
        depth=18,
        stem_channels=width,
        base_channels=width,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        contract_dilation=True,
        norm_cfg=BN)


def _fcn(in_channels, head='FCNHead', **kwargs):
    cfg = dict(
        type=head,
        in_channels=in_channels,
        in_index=3,
        channels=16,
        num_classes=NUM_CLASSES,
        dropout_ratio=0.0,
        norm_cfg=BN,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))
    if head == 'FCNHead':
        cfg.update(num_convs=1, concat_input=False)
    cfg.update(kwargs)
    return cfg


def _segformer_teacher():
    """A tiny SegFormer: logits at 1/4 (the student's are at 1/8)."""
    return dict(
        type='EncoderDecoder',
        backbone=dict(
            type='MixVisionTransformer',
            in_channels=3,
            embed_dims=8,
            num_stages=4,
            num_layers=[1, 1, 1, 1],
            num_heads=[1, 1, 1, 1],
            patch_sizes=[7, 3, 3, 3],
            sr_ratios=[8, 4, 2, 1],
            out_indices=(0, 1, 2, 3),
            drop_path_rate=0.0),
        decode_head=dict(
            type='SegformerHead',
            in_channels=[8, 8, 8, 8],
            in_index=[0, 1, 2, 3],
            channels=16,
            dropout_ratio=0.0,
            num_classes=NUM_CLASSES,
            norm_cfg=BN,
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)))


def _psp_teacher():
    return dict(
        type='EncoderDecoder',
        backbone=_resnet(16),
        decode_head=_fcn(128, head='PSPHead', pool_scales=(1, 2, 3, 6)))


def build_sfd(teacher=None, **kwargs):
    cfg = dict(
        type='SFDSegmentor',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=_resnet(8),
        decode_head=_fcn(64),
        teacher=teacher or _psp_teacher(),
        teacher_ckpt=None,
        allow_random_teacher=True,
        test_cfg=dict(mode='whole'))
    cfg.update(kwargs)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='randomly initialised'):
        return MODELS.build(cfg)


def _seg_batch(size=64):
    gen = torch.Generator().manual_seed(1)
    out = []
    for _ in range(2):
        label = torch.randint(0, NUM_CLASSES, (1, size, size), generator=gen)
        label[:, :8] = 255
        s = SegDataSample(gt_sem_seg=PixelData(data=label))
        s.set_metainfo(
            dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size)))
        out.append(s)
    return torch.randn(2, 3, size, size, generator=gen), out


def _step_and_check(model, expect_keys):
    """One loss + backward: the terms are finite, every trainable student
    (and integrator) parameter gets a gradient, the teacher none."""
    model.train()
    x, batch = _seg_batch()
    losses = model.loss(x, batch)
    assert expect_keys <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert _without_grad(model, skip=('teacher', )) == []
    assert all(p.grad is None for p in model.teacher.parameters())
    return losses


@pytest.mark.parametrize('name', list(LOSSES))
def test_sfd_logit_term_alone(name):
    """The CWD / DIST recipes: no feature term, the logit term with its
    weight (the paper's 3 for CWD) taken out of the loss config."""
    kd = dict(LOSSES[name], loss_weight=3.0)
    model = build_sfd(
        integrator=None, distill=dict(loss=None, margin=None, kd=kd))
    assert model.distill_weights['kd'] == 3.0
    assert model.distill_losses['kd'].loss_weight == 1.0
    losses = _step_and_check(model, {'decode.loss_ce', 'loss_kd'})
    assert 'loss_feat' not in losses
    # the term by hand (no dropout in the heads: the same logits)
    model.eval()
    x, batch = _seg_batch()
    losses = model.loss(x, batch)
    with torch.no_grad():
        t_logits = model.teacher.decode_head(model.teacher.extract_feat(x))
    s_logits = model.decode_head(model.extract_feat(x))
    expected = 3.0 * model.distill_losses['kd'](s_logits, t_logits)
    assert losses['loss_kd'].item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize('name', list(LOSSES))
def test_sfd_feature_term_and_cwd_or_dist_logit_term_compose(name):
    """SFD's own feature term (receptive-field integration + Overhaul
    margin loss) and a CWD / DIST logit term in one model."""
    model = build_sfd(
        distill=dict(
            student_stages=(3, 2, 1),
            teacher_stages=(3, ),
            kd=dict(LOSSES[name], loss_weight=1.0)))
    assert type(model.integrator).__name__ == 'ReceptiveFieldIntegration'
    assert type(model.distill_losses['feature']).__name__ == 'OFDLoss'
    _step_and_check(model, {'decode.loss_ce', 'loss_feat', 'loss_kd'})


def test_cwd_on_feature_levels_through_a_1x1_adapter():
    """CWD on a chosen feature level whose channels differ (64 student vs
    128 teacher): Overhaul's 1x1 conv + BN connector adapts the student, as
    the CWD paper's 1x1 conv."""
    model = build_sfd(
        integrator=dict(type='ConvBNConnector'),
        distill=dict(
            loss=dict(type='CWDLoss', tau=4.0, loss_weight=2.0),
            margin=None,
            student_stages=(3, ),
            teacher_stages=(3, )))
    assert model.integrator.in_channels == [64]
    assert model.integrator.out_channels == 128
    losses = _step_and_check(model, {'loss_feat'})
    assert losses['loss_feat'] > 0
    # without an adapter the channels cannot be compared: a clear error
    model = build_sfd(
        integrator=None,
        distill=dict(
            loss=dict(type='CWDLoss'),
            margin=None,
            student_stages=(3, ),
            teacher_stages=(3, )))
    x, batch = _seg_batch()
    with pytest.raises(ValueError, match='differ in batch size or channels'):
        model.loss(x, batch)
    # Overhaul's margins are no input of CWD
    model = build_sfd(
        integrator=dict(type='ConvBNConnector'),
        distill=dict(
            loss=dict(type='CWDLoss'),
            margin='running',
            student_stages=(3, ),
            teacher_stages=(3, )))
    with pytest.raises(ValueError, match='distill.margin=None'):
        model.loss(x, batch)


@pytest.mark.parametrize('name', list(LOSSES))
def test_cross_architecture_pair_with_logits_of_another_size(name):
    """A SegFormer teacher (logits at 1/4) and a dilated ResNet student
    (1/8): the student's logits are resized to the teacher's."""
    model = build_sfd(
        teacher=_segformer_teacher(),
        integrator=None,
        distill=dict(loss=None, margin=None, kd=LOSSES[name]))
    model.eval()
    x, batch = _seg_batch()
    with torch.no_grad():
        t_logits = model.teacher.decode_head(model.teacher.extract_feat(x))
        s_logits = model.decode_head(model.extract_feat(x))
    assert t_logits.shape[-2:] == (16, 16) and s_logits.shape[-2:] == (8, 8)
    losses = model.loss(x, batch)
    s_up = F.interpolate(
        s_logits, (16, 16), mode='bilinear', align_corners=False)
    expected = model.distill_losses['kd'](s_up, t_logits)
    assert losses['loss_kd'].item() == pytest.approx(expected.item(), rel=1e-5)
    _step_and_check(model, {'loss_kd'})


def test_sfd_cwd_student_exports_to_the_plain_model():
    """The student of a CWD model is the stock EncoderDecoder: strict load,
    same predictions."""
    model = build_sfd(
        integrator=None,
        distill=dict(loss=None, margin=None, kd=LOSSES['cwd']))
    _step_and_check(model, {'loss_kd'})
    plain_cfg = dict(
        type='EncoderDecoder',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=_resnet(8),
        decode_head=_fcn(64),
        test_cfg=dict(mode='whole'))
    plain = MODELS.build(copy.deepcopy(plain_cfg))
    plain.load_state_dict(strip_distill_only(model.state_dict()), strict=True)
    model.eval()
    plain.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(plain(x, mode='tensor'), model(x, mode='tensor'))


# ------------------------------------------------- the auxiliary heads' term
def _with_aux(model_cfg, in_channels):
    return dict(
        model_cfg,
        auxiliary_head=_fcn(
            in_channels,
            in_index=2,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4)))


def test_dist_on_the_auxiliary_heads_as_the_authors():
    """DIST's recipe: the decode heads' logits (weight 1) plus 0.4 x DIST
    between the auxiliary heads' logits; the student's auxiliary CE is
    mmseg's (same value and key as without kd_aux)."""
    dist = dict(type='DISTLoss')
    teacher = _with_aux(_psp_teacher(), 64)
    kwargs = dict(
        teacher=teacher,
        integrator=None,
        auxiliary_head=_fcn(
            32,
            in_index=2,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4)))
    model = build_sfd(
        distill=dict(
            loss=None,
            margin=None,
            kd=dict(dist, loss_weight=1.0),
            kd_aux=dict(dist, loss_weight=0.4)),
        **kwargs)
    assert model.distill_weights['kd_aux'] == 0.4
    losses = _step_and_check(
        model, {'decode.loss_ce', 'aux.loss_ce', 'loss_kd', 'loss_kd_aux'})
    model.eval()
    x, batch = _seg_batch()
    losses = model.loss(x, batch)
    with torch.no_grad():
        t_feats = model.teacher.extract_feat(x)
        s_feats = model.extract_feat(x)
        expected = 0.4 * DISTLoss()(model.auxiliary_head(s_feats),
                                    model.teacher.auxiliary_head(t_feats))
    assert losses['loss_kd_aux'].item() == pytest.approx(
        expected.item(), rel=1e-5)
    # the auxiliary CE as mmseg computes it without kd_aux
    plain = build_sfd(
        distill=dict(loss=None, margin=None, kd=dict(dist)), **kwargs)
    plain.load_state_dict(model.state_dict())
    plain.eval()
    assert plain.loss(x, batch)['aux.loss_ce'].item() == pytest.approx(
        losses['aux.loss_ce'].item(), rel=1e-6)


def test_kd_aux_needs_auxiliary_heads_on_both_sides():
    kd_aux = dict(type='DISTLoss')
    with pytest.raises(ValueError, match='student has 0 auxiliary head'):
        build_sfd(
            teacher=_with_aux(_psp_teacher(), 64),
            integrator=None,
            distill=dict(loss=None, margin=None, kd_aux=kd_aux))
    with pytest.raises(ValueError, match='the teacher 0'):
        build_sfd(
            integrator=None,
            auxiliary_head=_fcn(32, in_index=2),
            distill=dict(loss=None, margin=None, kd_aux=kd_aux))
    teacher = _with_aux(_psp_teacher(), 64)
    teacher['auxiliary_head']['num_classes'] = NUM_CLASSES + 1
    with pytest.raises(ValueError, match='predicts 4 classes.*5'):
        build_sfd(
            teacher=teacher,
            integrator=None,
            auxiliary_head=_fcn(32, in_index=2),
            distill=dict(loss=None, margin=None, kd_aux=kd_aux))

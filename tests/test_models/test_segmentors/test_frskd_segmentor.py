"""FRSKDSegmentor: loss terms, gradient routing, student-only inference."""
import copy

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import selfkd_seg  # noqa: F401

NORM = dict(type='BN', momentum=0.01, eps=1e-3)
H, W = 64, 48


def frskd_cfg(**overrides):
    cfg = dict(
        type='FRSKDSegmentor',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=dict(type='EfficientNetBackbone', arch='b0'),
        neck=dict(
            type='WeightedBiFPN',
            in_channels=[24, 40, 112, 320],
            out_channels=8,
            num_layers=1,
            norm_cfg=NORM),
        decode_head=dict(
            type='EfficientDetSegHead',
            in_channels=8,
            channels=8,
            num_convs=1,
            num_classes=3,
            norm_cfg=NORM),
        self_teacher=dict(
            neck=dict(
                type='WeightedBiFPN',
                in_channels=[8] * 6,
                out_channels=8,
                num_layers=1,
                norm_cfg=NORM)),
        distill=dict(alpha=1.0, beta=50.0),
        test_cfg=ConfigDict(mode='whole'))
    cfg.update(overrides)
    return cfg


def build(**overrides):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(frskd_cfg(**overrides))


def samples(batch=2, all_ignored=False):
    out = []
    gen = torch.Generator().manual_seed(1)
    for _ in range(batch):
        label = torch.randint(0, 3, (1, H, W), generator=gen)
        label[:, :4] = 255
        if all_ignored:
            label[:] = 255
        s = SegDataSample(gt_sem_seg=PixelData(data=label))
        s.set_metainfo(
            dict(img_shape=(H, W), ori_shape=(H, W), pad_shape=(H, W)))
        out.append(s)
    return out


def inputs(batch=2):
    return torch.randn(
        batch, 3, H, W, generator=torch.Generator().manual_seed(2))


def grads(loss, params):
    return [
        g for g in torch.autograd.grad(
            loss, params, retain_graph=True, allow_unused=True)
    ]


def nonzero(gs):
    return any(g is not None and g.abs().sum() > 0 for g in gs)


def test_loss_has_every_paper_term_logged_separately():
    losses = build().loss(inputs(), samples())
    for key in ('decode.loss_ce', 'self_teacher.loss_ce', 'loss_kd',
                'loss_feat'):
        assert key in losses and torch.isfinite(losses[key])
    assert losses['loss_kd'] > 0 and losses['loss_feat'] > 0


def test_distillation_terms_update_only_the_student():
    model = build()
    model.train()
    losses = model.loss(inputs(), samples())
    teacher_params = list(model.self_teacher.parameters())
    student_params = [
        p for n, p in model.named_parameters()
        if not n.startswith(('self_teacher', 'distill_losses'))
    ]
    distill = losses['loss_kd'] + losses['loss_feat']
    assert not nonzero(grads(distill, teacher_params))
    assert nonzero(grads(distill, student_params))


def test_self_teacher_ce_trains_self_teacher_and_backbone():
    model = build()
    losses = model.loss(inputs(), samples())
    ce_t = losses['self_teacher.loss_ce']
    assert nonzero(grads(ce_t, list(model.self_teacher.parameters())))
    # student features enter the self-teacher undetached
    assert nonzero(grads(ce_t, list(model.backbone.parameters())))
    assert nonzero(grads(ce_t, list(model.neck.parameters())))
    # but not the student's head
    assert not nonzero(grads(ce_t, list(model.decode_head.parameters())))


def test_kd_excludes_ignored_pixels():
    model = build()
    losses = model.loss(inputs(), samples(all_ignored=True))
    assert losses['loss_kd'].item() == 0.0
    assert torch.isfinite(losses['loss_feat'])


def test_zero_weights_skip_distillation():
    model = build()
    model.distill_weights.update(alpha=0.0, beta=0.0)
    losses = model.loss(inputs(), samples())
    assert losses['loss_kd'].item() == 0.0 and losses['loss_feat'].item() == 0


def test_inference_never_runs_the_self_teacher():
    model = build()
    model.eval()

    def forbid(*args):
        raise AssertionError('self-teacher ran at inference time')

    for module in model.self_teacher.modules():
        module.register_forward_hook(forbid)
    with torch.no_grad():
        pred = model.predict(inputs(), samples())
        logits = model(inputs(), mode='tensor')
    assert pred[0].pred_sem_seg.data.shape == (1, H, W)
    assert logits.shape[:2] == (2, 3)


@pytest.mark.parametrize('overrides, match', [
    (dict(
        self_teacher=dict(
            neck=dict(
                type='WeightedBiFPN',
                in_channels=[16] * 6,
                out_channels=8,
                num_layers=1,
                norm_cfg=NORM))),
     r'in_channels must match .*expected \[8, 8, 8, 8, 8, 8\]'),
    (dict(distill=dict(alpha=-1.0)), r'distill.alpha must be >= 0'),
    (dict(distill=dict(beta=-0.5)), r'distill.beta must be >= 0'),
    (dict(neck=None), 'needs a multi-level neck'),
])
def test_bad_configs_fail_clearly(overrides, match):
    with pytest.raises(ValueError, match=match):
        build(**overrides)


def test_self_teacher_head_with_other_num_classes_fails():
    cfg = frskd_cfg()
    head = copy.deepcopy(cfg['decode_head'])
    head['num_classes'] = 4
    cfg['self_teacher']['decode_head'] = head
    init_default_scope('mmseg')
    with pytest.raises(ValueError, match=r'num_classes \(3\), got 4'):
        MODELS.build(cfg)


def test_self_teacher_in_channels_default_to_the_student_bifpn():
    cfg = frskd_cfg()
    del cfg['self_teacher']['neck']['in_channels']
    init_default_scope('mmseg')
    model = MODELS.build(cfg)
    assert model.self_teacher.neck.in_channels == [8] * 6
    assert model.loss(inputs(), samples())['loss_feat'] > 0


def test_self_teacher_neck_without_type_extends_the_student_bifpn():
    cfg = frskd_cfg(self_teacher=dict(neck=dict(num_layers=2)))
    init_default_scope('mmseg')
    model = MODELS.build(cfg)
    neck = model.self_teacher.neck
    assert type(neck) is type(model.neck)
    assert neck.num_layers == 2 and neck.out_channels == 8
    assert neck.in_channels == [8] * 6
    assert (neck.min_level, neck.max_level) == (2, 7)
    assert model.loss(inputs(), samples())['loss_feat'] > 0


def test_inherited_self_teacher_trains_every_level_it_distils():
    """The self-teacher's last layer outputs its top-down pass (authors'
    ``is_last``), so AT never targets an untrained (random) feature: one
    backward with full weights reaches every parameter of the model."""
    cfg = frskd_cfg(self_teacher=dict(neck=dict(num_layers=2)))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert model.self_teacher.neck.last_layer_top_down
    assert not model.neck.last_layer_top_down  # the student stays EfficientDet
    losses = model.loss(inputs(), samples())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    dead = [
        n for n, p in model.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert dead == []


def test_bottom_up_last_self_teacher_layer_would_distil_random_features():
    """The defect the default fixes: with EfficientDet's bottom-up outputs in
    the last self-teacher layer, P3..P7 of that layer never train."""
    cfg = frskd_cfg(
        self_teacher=dict(neck=dict(num_layers=2, last_layer_top_down=False)))
    init_default_scope('mmseg')
    model = MODELS.build(cfg)
    losses = model.loss(inputs(), samples())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    dead = {n for n, p in model.named_parameters() if p.grad is None}
    assert dead and all(
        n.startswith('self_teacher.neck.stages.1.bu_nodes.') for n in dead)


def test_at_compares_post_relu_features_by_default():
    """The authors' BiFPN outputs are post-ReLU; ``feature_act=None`` keeps
    the raw (pre-activation) BN outputs."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(frskd_cfg())
    torch.manual_seed(0)
    raw = MODELS.build(
        frskd_cfg(distill=dict(alpha=1.0, beta=50.0, feature_act=None)))
    assert isinstance(model.feature_act, torch.nn.ReLU)
    x, s = inputs(), samples()
    torch.manual_seed(3)  # the same drop-connect draws in both passes
    feats = model.extract_feat(x)
    refined, _ = model.self_teacher(feats)
    at = model.distill_losses['feature']
    expected = 50.0 * at([f.clamp(min=0)
                          for f in feats], [f.clamp(min=0) for f in refined])
    torch.manual_seed(3)
    assert model.loss(x, s)['loss_feat'].item() == pytest.approx(
        expected.item(), rel=1e-5)
    torch.manual_seed(3)
    assert raw.loss(x, s)['loss_feat'].item() != pytest.approx(
        expected.item(), rel=1e-3)

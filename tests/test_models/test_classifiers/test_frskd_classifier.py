"""FRSKDClassifier: loss terms, gradient routing, export, errors."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import selfkd_seg  # noqa: F401
from selfkd_seg.models.utils import strip_distill_only

mmpretrain = pytest.importorskip('mmpretrain')
from mmpretrain.registry import MODELS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402


class TinyStages(nn.Module):
    """Three conv stages following the CIFAR backbone contract."""

    stage_channels = (4, 8, 16)

    def __init__(self, out_indices=(0, 1, 2)):
        super().__init__()
        self.out_indices = out_indices
        chans = (3, ) + self.stage_channels
        self.stages = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(
                    chans[i],
                    chans[i + 1],
                    3,
                    1 if i == 0 else 2,
                    1,
                    bias=False), nn.BatchNorm2d(chans[i + 1]))
            for i in range(3))

    def forward_stages(self, x):
        pre, post = [], []
        for stage in self.stages:
            x = stage(x)
            pre.append(x)
            x = F.relu(x)
            post.append(x)
        return pre, post

    def forward(self, x):
        return tuple(self.forward_stages(x)[1][i] for i in self.out_indices)


def _cfg(feature_loss='ATLoss', **distill):
    return dict(
        type='FRSKDClassifier',
        backbone=TinyStages(),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=16),
        self_teacher=dict(type='FRSKDBiFPNc', width=2),
        distill=dict(
            alpha=2.,
            beta=100.,
            feature_loss=dict(type=feature_loss),
            **distill))


def _batch(n=2):
    torch.manual_seed(0)
    return torch.randn(
        n, 3, 8, 8), [DataSample().set_gt_label(i % 5) for i in range(n)]


def _grads(loss, params):
    grads = torch.autograd.grad(
        loss, params, retain_graph=True, allow_unused=True)
    return [g for g in grads if g is not None and g.abs().sum() > 0]


@pytest.mark.parametrize('feature_loss', ['ATLoss', 'FitNetLoss', 'OFDLoss'])
def test_gradient_routing(feature_loss):
    model = MODELS.build(_cfg(feature_loss))
    losses = model.loss(*_batch())
    assert set(losses) == {
        'loss_cls', 'loss_self_teacher', 'loss_kd', 'loss_feat'
    }
    st = list(model.self_teacher.parameters())
    bb = list(model.backbone.parameters())
    head = list(model.head.parameters())
    # distillation terms train the classifier only
    for key in ('loss_kd', 'loss_feat'):
        assert losses[key].item() > 0
        assert _grads(losses[key], st) == []
        assert _grads(losses[key], bb)
    # CE(self-teacher) trains the self-teacher AND the backbone, not the head
    assert _grads(losses['loss_self_teacher'], st)
    assert _grads(losses['loss_self_teacher'], bb)
    assert _grads(losses['loss_self_teacher'], head) == []
    assert _grads(losses['loss_cls'], st) == []


def test_terms_follow_the_paper_equation():
    model = MODELS.build(_cfg())
    model.eval()  # deterministic BN so two forwards agree
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    with torch.no_grad():
        _, post = model.backbone.forward_stages(inputs)
        logits = model.head((post[-1].mean((2, 3)), ))
        out = model.self_teacher(post)
    labels = torch.tensor([0, 1])
    assert losses['loss_cls'].item() == pytest.approx(
        F.cross_entropy(logits, labels).item(), rel=1e-5)
    assert losses['loss_self_teacher'].item() == pytest.approx(
        F.cross_entropy(out.logits, labels).item(), rel=1e-5)
    T = 4.
    kd = F.kl_div(
        F.log_softmax(logits / T, 1),
        F.softmax(out.logits / T, 1),
        reduction='sum') * T * T / 2
    assert losses['loss_kd'].item() == pytest.approx(2. * kd.item(), abs=1e-5)
    # a schedule hook changes the weights through distill_weights
    model.distill_weights = dict(alpha=0., beta=0.)
    zero = model.loss(inputs, samples)
    assert zero['loss_kd'].item() == 0 and zero['loss_feat'].item() == 0


def test_soft_labels_from_batch_augments():
    cfg = _cfg()
    cfg['head']['loss'] = dict(type='CrossEntropyLoss', use_soft=True)
    cfg['train_cfg'] = dict(augments=dict(type='CutMix', alpha=1.0))
    cfg['data_preprocessor'] = dict(num_classes=5)
    model = MODELS.build(cfg)
    inputs, samples = _batch(4)
    data = model.data_preprocessor(
        dict(
            inputs=[(i * 50 + 128).to(torch.uint8) for i in inputs],
            data_samples=samples),
        training=True)
    assert 'gt_score' in data['data_samples'][0]
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())


def test_ofd_margins():
    model = MODELS.build(_cfg('OFDLoss'))
    margins = model.distill_losses['margins']()
    # fresh BN (gamma 1, beta 0): E[Y | Y < 0] of N(0, 1) = -sqrt(2/pi)
    assert torch.allclose(margins[0], torch.full((8, ), -0.7979), atol=1e-4)
    assert model.level_weights == [0.25, 0.5, 1.0]
    running = MODELS.build(_cfg('OFDLoss', margin='running'))
    running.loss(*_batch())
    assert len(running.margin_estimator) == 3
    assert (running.margin_estimator[0].margin < 0).all()


def test_predict_uses_the_classifier_only_and_export_loads_plain():
    model = MODELS.build(_cfg('FitNetLoss'))
    calls = []
    model.self_teacher.register_forward_hook(lambda *a: calls.append(1))
    inputs, samples = _batch()
    preds = model.predict(inputs, samples)
    assert len(preds) == 2 and preds[0].pred_score.shape == (5, )
    model.extract_feat(inputs)
    assert calls == []
    plain_cfg = copy.deepcopy(_cfg())
    for key in ('self_teacher', 'distill'):
        plain_cfg.pop(key)
    plain_cfg['type'] = 'ImageClassifier'
    plain_cfg['backbone'] = TinyStages()
    plain = MODELS.build(plain_cfg)
    plain.load_state_dict(strip_distill_only(model.state_dict()), strict=True)


def test_errors():
    cfg = _cfg()
    cfg['backbone'] = TinyStages(out_indices=(2, ))
    with pytest.raises(ValueError, match='out_indices'):
        MODELS.build(cfg)
    cfg = _cfg()
    cfg['distill']['alpha'] = -1.
    with pytest.raises(ValueError, match='alpha must be >= 0'):
        MODELS.build(cfg)
    cfg = _cfg()
    cfg['self_teacher']['in_channels'] = [4, 8, 32]
    with pytest.raises(ValueError, match=r'\[4, 8, 32\].*\[4, 8, 16\]'):
        MODELS.build(cfg)
    with pytest.raises(ValueError, match='feature_loss.type'):
        MODELS.build(_cfg('KDLoss'))

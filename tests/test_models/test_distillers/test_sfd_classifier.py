import copy

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import selfkd_seg  # noqa: F401
from selfkd_seg.models.utils import strip_distill_only


def _clf(arch, in_channels, num_classes=4):
    return dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=in_channels,
            loss=dict(type='CrossEntropyLoss')))


STUDENT = _clf('resnet8', 64)
TEACHER = _clf('resnet8x4', 256)


def _sfd(**kwargs):
    cfg = copy.deepcopy(STUDENT)
    cfg.update(type='SFDClassifier', teacher=copy.deepcopy(TEACHER))
    cfg.setdefault('allow_random_teacher', True)
    cfg.update(kwargs)
    return cfg


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmpretrain')


def _batch(n=2, size=16):
    torch.manual_seed(0)
    return torch.randn(n, 3, size, size), [
        DataSample().set_gt_label(i % 4) for i in range(n)
    ]


def _save_teacher_ckpt(path, cfg=TEACHER, seed=1):
    torch.manual_seed(seed)
    teacher = MODELS.build(cfg)
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return teacher


def test_loss_terms_and_gradient_routing():
    model = MODELS.build(
        _sfd(distill=dict(kd=dict(type='KDLoss', temperature=4.0))))
    model.train()
    x, samples = _batch()
    losses = model.loss(x, samples)
    assert set(losses) == {'loss', 'loss_feat', 'loss_kd'}
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    assert model.integrator.smooth.conv.weight.grad is not None
    assert model.backbone.conv1.weight.grad is not None
    # integrator maps resnet8's last stage (64 ch) onto resnet8x4's (256 ch)
    assert model.integrator.in_channels == [16, 32, 64]
    assert model.integrator.out_channels == 256


def test_feature_loss_is_ofd_on_teacher_pre_relu_with_bn_margin():
    from selfkd_seg.models.losses import OFDLoss, bn_margin
    model = MODELS.build(_sfd())
    model.train()
    x, samples = _batch()
    seen = {}
    model.integrator.register_forward_hook(
        lambda m, i, o: seen.__setitem__('s', o))
    loss = model.loss(x, samples)['loss_feat']
    with torch.no_grad():
        pre, _ = model.teacher.backbone.forward_stages(x)
        margin = bn_margin(model.teacher.backbone.get_bn_before_relu()[-1])
    expected = OFDLoss(loss_weight=3.0)(seen['s'], pre[-1], margin)
    torch.testing.assert_close(loss, expected)


def test_running_margin_is_a_training_only_buffer():
    model = MODELS.build(_sfd(distill=dict(margin='running')))
    model.train()
    model.loss(*_batch())
    assert model.margin_estimator[0].neg_count.sum() > 0
    assert any(k.startswith('margin_estimator') for k in model.state_dict())


def test_teacher_stays_eval_and_frozen():
    model = MODELS.build(_sfd())
    model.train()
    assert model.backbone.training and model.integrator.training
    assert not any(m.training for m in model.teacher.modules())
    overhaul = MODELS.build(_sfd(teacher_norm_eval=False))
    overhaul.train()
    bns = [
        m for m in overhaul.teacher.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert bns and all(m.training for m in bns)
    assert not overhaul.teacher.backbone.training  # only the norms train
    overhaul.eval()
    assert not any(m.training for m in overhaul.teacher.modules())


def test_predict_runs_the_student_only():
    model = MODELS.build(_sfd())
    model.eval()
    calls = []
    model.teacher.register_forward_pre_hook(lambda *a: calls.append(1))
    model.teacher.backbone.register_forward_pre_hook(
        lambda *a: calls.append(1))
    model.integrator.register_forward_pre_hook(lambda *a: calls.append(1))
    x, samples = _batch()
    out = model(x, samples, mode='predict')
    assert out[0].pred_score.shape == (4, ) and not calls


def test_checkpoint_without_teacher_and_strict_reload(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    teacher = _save_teacher_ckpt(ckpt)
    model = MODELS.build(_sfd(teacher_ckpt=ckpt, allow_random_teacher=False))
    loaded = {n: p for n, p in model.teacher.named_parameters()}
    for k, v in teacher.named_parameters():
        assert torch.equal(loaded[k], v), k
    # the runner calls init_weights after building: the teacher must survive
    model.init_weights()
    ref = teacher.state_dict()['backbone.conv1.weight']
    assert torch.equal(model.teacher.backbone.conv1.weight, ref)

    state = model.state_dict()
    assert not any(k.startswith('teacher.') for k in state)
    assert model.teacher.state_dict()  # the teacher's own dict is intact
    fresh = MODELS.build(_sfd(teacher_ckpt=ckpt, allow_random_teacher=False))
    result = fresh.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert torch.equal(fresh.teacher.backbone.conv1.weight, ref)

    keep = MODELS.build(_sfd(save_teacher=True))
    assert any(k.startswith('teacher.') for k in keep.state_dict())

    # export: the student part loads strictly into the plain student
    plain = MODELS.build(copy.deepcopy(STUDENT))
    plain.load_state_dict(strip_distill_only(state), strict=True)


def test_teacher_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match='teacher_ckpt is required'):
        MODELS.build(_sfd(allow_random_teacher=False))
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        MODELS.build(_sfd(teacher_ckpt=missing))
    other = str(tmp_path / 'resnet20.pth')
    _save_teacher_ckpt(other, _clf('resnet20', 64))
    with pytest.raises(RuntimeError) as err:
        MODELS.build(_sfd(teacher_ckpt=other))
    msg = str(err.value)
    assert 'resnet20.pth' in msg and 'does not match' in msg
    assert 'unexpected keys' in msg and 'shape mismatches' in msg
    assert 'backbone.conv1.weight: checkpoint (16, 3, 3, 3)' in msg


def test_config_errors():
    with pytest.raises(KeyError, match='unknown key'):
        MODELS.build(_sfd(distill=dict(weight=3)))
    with pytest.raises(ValueError, match='out_channels=128'):
        MODELS.build(
            _sfd(
                integrator=dict(
                    type='ReceptiveFieldIntegration', out_channels=128)))
    with pytest.raises(ValueError, match='margin must be one of'):
        MODELS.build(_sfd(distill=dict(margin='gauss')))
    with pytest.raises(ValueError, match='out of range'):
        MODELS.build(_sfd(distill=dict(student_stages=(5, ))))
    with pytest.raises(ValueError, match='nothing to distill'):
        MODELS.build(_sfd(integrator=None, distill=dict(loss=None)))
    with pytest.raises(ValueError, match='integrator is set'):
        MODELS.build(_sfd(distill=dict(loss=None, kd=dict(type='KDLoss'))))


@pytest.mark.parametrize('variant', ['at', 'fitnet', 'kd', 'overhaul'])
def test_baselines(variant):
    distill = dict(
        at=dict(
            loss=dict(type='ATLoss', loss_weight=1000.0),
            margin=None,
            student_stages=(0, 1, 2),
            teacher_stages=(0, 1, 2),
            teacher_feature='post'),
        fitnet=dict(
            loss=dict(
                type='FitNetLoss', student_channels=32, teacher_channels=128),
            margin=None,
            student_stages=(1, ),
            teacher_stages=(1, ),
            teacher_feature='post'),
        kd=dict(loss=None, kd=dict(type='KDLoss')),
        overhaul=dict(student_feature='pre'))[variant]
    integrator = dict(type='ConvBNConnector') if variant == 'overhaul' \
        else None
    model = MODELS.build(_sfd(integrator=integrator, distill=distill))
    model.train()
    losses = model.loss(*_batch())
    key = 'loss_kd' if variant == 'kd' else 'loss_feat'
    assert torch.isfinite(losses[key]) and losses[key] > 0


def test_teacher_checkpoint_missing_keys_and_formats(tmp_path):
    path = str(tmp_path / 'partial.pth')
    torch.manual_seed(1)
    state = MODELS.build(TEACHER).state_dict()
    state.pop('head.fc.bias')
    torch.save({'state_dict': state}, path)
    with pytest.raises(
            RuntimeError, match=r"missing keys \(1\): \['head.fc.bias'\]"):
        MODELS.build(_sfd(teacher_ckpt=path))
    # a released RepDistiller checkpoint must be converted first
    raw = str(tmp_path / 'resnet32x4_repdistiller.pth')
    torch.save({'model': state, 'epoch': 240}, raw)
    with pytest.raises(KeyError, match='tools/model_converters'):
        MODELS.build(_sfd(teacher_ckpt=raw))
    bare = str(tmp_path / 'tensor.pth')
    torch.save(torch.zeros(1), bare)
    with pytest.raises(TypeError, match='expected a dict'):
        MODELS.build(_sfd(teacher_ckpt=bare))


def test_feature_sizes_no_integrator_can_match():
    # RI with 3 parts cannot split the teacher's 256 channels evenly
    with pytest.raises(ValueError) as err:
        MODELS.build(
            _sfd(
                integrator=dict(
                    type='ReceptiveFieldIntegration', pool_scales=(0.5,
                                                                   0.75))))
    msg = str(err.value)
    assert 'onto teacher level 2 (256 channels)' in msg
    assert 'divisible by 3' in msg
    # LI needs three student levels
    with pytest.raises(ValueError, match=r'integrates the last 3 student'):
        MODELS.build(
            _sfd(
                integrator=dict(type='LayerwiseIntegration'),
                distill=dict(student_stages=(2, ))))
    # without an integrator OFD needs equal channels
    with pytest.raises(
            ValueError,
            match=r'student level 2 \(64 channels\) '
            r'with teacher level 2 \(256 channels\)'):
        MODELS.build(_sfd(integrator=None, distill=dict(student_stages=(2, ))))

"""FRSKD+SLA: rotation/joint-label helpers, loss terms, routing, export."""
import copy

import pytest
import torch
import torch.nn.functional as F

import selfkd_seg  # noqa: F401
from selfkd_seg.models.utils import strip_distill_only

pytest.importorskip('mmpretrain')
from mmpretrain.registry import MODELS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

from selfkd_seg.models.heads.sla_head import (aggregate_rotation_logits,
                                              joint_rotation_labels,
                                              rotate_batch)

NUM_CLASSES = 3


def _cfg(**sla):
    return dict(
        type='FRSKDSLAClassifier',
        backbone=dict(
            type='WideResNet',
            depth=10,
            widen_factor=1,
            norm_in_blocks=False,
            out_indices=(0, 1, 2)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=64),
        self_teacher=dict(type='FRSKDBiFPNc', width=1),
        distill=dict(alpha=2., beta=100.),
        sla=dict(num_rotations=4, aux_weight=1.0, **sla))


def _batch(n=2):
    torch.manual_seed(0)
    return torch.randn(n, 3, 8, 8), [
        DataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)
    ]


def _grads(loss, module):
    params = list(module.parameters())
    grads = torch.autograd.grad(
        loss, params, retain_graph=True, allow_unused=True)
    return any(g is not None and g.abs().sum() > 0 for g in grads)


def test_rotate_batch_is_sample_major_quarter_turns():
    img = torch.tensor([[1., 2.], [3., 4.]]).view(1, 1, 2, 2)
    rot = rotate_batch(torch.cat([img, img + 10]), 4)
    assert rot.shape == (8, 1, 2, 2)
    # counter-clockwise quarter turns of [[1, 2], [3, 4]]
    expected = [[[1, 2], [3, 4]], [[2, 4], [1, 3]], [[4, 3], [2, 1]],
                [[3, 1], [4, 2]]]
    assert rot[:4, 0].tolist() == expected
    assert (rot[4:] - 10).squeeze(1).tolist() == expected
    # two rotations: 0 and 180 degrees
    assert rotate_batch(img, 2)[:, 0].tolist() == [expected[0], expected[2]]
    with pytest.raises(ValueError, match='square'):
        rotate_batch(torch.zeros(1, 3, 4, 6))
    with pytest.raises(ValueError, match='num_rotations'):
        rotate_batch(img, 3)


def test_joint_labels_and_aggregation_by_hand():
    # class 2 and class 0 with R=4: y * 4 + k, sample-major
    labels = joint_rotation_labels(torch.tensor([2, 0]), 4)
    assert labels.tolist() == [8, 9, 10, 11, 0, 1, 2, 3]
    # B=1, C=2, R=2: rows = copies k=0,1; columns c*R+k = (c0k0,c0k1,c1k0,c1k1)
    joint = torch.tensor([[1., 100., 3., 100.], [100., 5., 100., 7.]])
    # copy k is read at rotation k's columns: class0 (1+5)/2, class1 (3+7)/2
    assert aggregate_rotation_logits(joint, 2).tolist() == [[3., 5.]]
    with pytest.raises(ValueError, match='not'):
        aggregate_rotation_logits(torch.zeros(3, 8), 2)


def test_loss_terms_match_the_combined_equation():
    model = MODELS.build(_cfg())
    model.eval()  # deterministic BN so the reference forwards agree
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'loss_cls', 'loss_self_teacher', 'loss_joint_cls',
        'loss_joint_self_teacher', 'loss_sla_kd', 'loss_kd', 'loss_feat'
    }
    heads = model.distill_losses['sla']
    assert heads['classifier'].fc.out_features == 4 * NUM_CLASSES
    assert heads['self_teacher'].fc.in_features == 64  # width 1 x 64
    with torch.no_grad():
        labels = torch.tensor([0, 1])
        # rotated copies built by hand, joint labels y * 4 + k
        rot = torch.stack(
            [torch.rot90(x, k, (1, 2)) for x in inputs for k in range(4)])
        rot_feats = model.backbone(rot)
        cls_joint = heads['classifier'].fc(rot_feats[-1].mean((2, 3)))
        joint_labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
        assert losses['loss_joint_cls'].item() == pytest.approx(
            F.cross_entropy(cls_joint, joint_labels).item(), rel=1e-5)
        agg = torch.stack([
            torch.stack([cls_joint[b * 4 + k, k::4] for k in range(4)]).mean(0)
            for b in range(2)
        ])
        feats = model.backbone(inputs)
        logits = model.head((feats[-1].mean((2, 3)), ))
        st = model.self_teacher(list(feats))
        st_joint = heads['self_teacher'](
            model.self_teacher(list(rot_feats)).post[-1])
        st_agg = heads['self_teacher'].aggregate(st_joint)
        T = 4.

        def kd(s, t):
            return F.kl_div(
                F.log_softmax(s / T, 1), F.softmax(t / T, 1),
                reduction='sum') * T * T / s.shape[0]

        assert losses['loss_cls'].item() == pytest.approx(
            F.cross_entropy(logits, labels).item(), rel=1e-5)
        assert losses['loss_sla_kd'].item() == pytest.approx(
            kd(logits, agg).item() + kd(st.logits, st_agg).item(), abs=1e-5)
        assert losses['loss_kd'].item() == pytest.approx(
            2. * kd(torch.cat([logits, agg]), torch.cat([st.logits, st_agg
                                                         ])).item(),
            abs=1e-5)


def test_gradient_routing():
    model = MODELS.build(_cfg())
    losses = model.loss(*_batch())
    heads = model.distill_losses['sla']
    bb, st, head = model.backbone, model.self_teacher, model.head
    # joint CE: each joint head and its own branch (+ the shared backbone)
    assert _grads(losses['loss_joint_cls'], heads['classifier'])
    assert _grads(losses['loss_joint_cls'], bb)
    assert not _grads(losses['loss_joint_cls'], st)
    assert _grads(losses['loss_joint_self_teacher'], heads['self_teacher'])
    assert _grads(losses['loss_joint_self_teacher'], st)
    assert _grads(losses['loss_joint_self_teacher'], bb)
    # SLA-SD: the aggregated soft labels are targets (detached)
    assert _grads(losses['loss_sla_kd'], head)
    assert _grads(losses['loss_sla_kd'], st)
    assert not _grads(losses['loss_sla_kd'], heads['classifier'])
    assert not _grads(losses['loss_sla_kd'], heads['self_teacher'])
    # FRSKD terms train the classifier side only (incl. its joint head via
    # the aggregated prediction, as in the FRSKD code)
    for key in ('loss_kd', 'loss_feat'):
        assert _grads(losses[key], bb)
        assert not _grads(losses[key], st)
        assert not _grads(losses[key], heads['self_teacher'])
    assert _grads(losses['loss_kd'], heads['classifier'])


def test_predict_plain_by_default_aggregated_on_request():
    model = MODELS.build(_cfg())
    model.eval()
    inputs, samples = _batch()
    plain = model.predict(inputs, copy.deepcopy(samples))
    with torch.no_grad():
        ref = model.head(model.extract_feat(inputs))
    assert torch.allclose(plain[0].pred_score, ref.softmax(1)[0])
    model.aggregate_at_test = True
    agg = model.predict(inputs, copy.deepcopy(samples))
    assert agg[0].pred_score.shape == (NUM_CLASSES, )
    assert not torch.allclose(agg[0].pred_score, plain[0].pred_score)


def test_export_loads_into_the_plain_classifier():
    model = MODELS.build(_cfg())
    state = model.state_dict()
    assert any(k.startswith('distill_losses.sla.classifier.fc') for k in state)
    plain_cfg = _cfg()
    for key in ('self_teacher', 'distill', 'sla'):
        plain_cfg.pop(key)
    plain_cfg['type'] = 'ImageClassifier'
    plain = MODELS.build(plain_cfg)
    plain.load_state_dict(strip_distill_only(state), strict=True)


def test_errors():
    cfg = _cfg()
    cfg['train_cfg'] = dict(augments=dict(type='Mixup', alpha=0.2))
    with pytest.raises(ValueError, match='hard labels'):
        MODELS.build(cfg)
    with pytest.raises(KeyError, match='rotation'):
        MODELS.build(_cfg(rotation=4))
    cfg = _cfg()
    cfg['sla']['num_rotations'] = 3
    with pytest.raises(ValueError, match='num_rotations'):
        MODELS.build(cfg)
    model = MODELS.build(_cfg())
    with pytest.raises(ValueError, match='square'):
        model.loss(torch.randn(2, 3, 8, 16), _batch()[1])

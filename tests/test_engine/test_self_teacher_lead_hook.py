"""SelfTeacherLeadHook: the self-teacher's val mIoU and its lead, by hand."""
import contextlib
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from selfkd_seg.engine.hooks import SelfTeacherLeadHook

GT = torch.tensor([[[0, 1], [1, 1]]])
STUDENT = torch.tensor([[[0, 0], [1, 1]]])
TEACHER = torch.tensor([[[0, 1], [1, 1]]])


class FakeSelfTeacherModel(nn.Module):
    """Predicts STUDENT, or TEACHER inside ``self_teacher_view``; declares
    the SelfTeacherLeadTarget contract the hook talks through."""

    ignore_index = 255

    def __init__(self):
        super().__init__()
        self.in_view = False
        self.distill_gate = None

    def gate_lead_source(self):
        gate = self.distill_gate
        return None if gate is None else gate.lead_source

    def set_held_out_lead(self, lead):
        self.distill_gate.set_held_out_lead(lead)
        return self.distill_gate.factor()

    @contextlib.contextmanager
    def self_teacher_view(self):
        self.in_view = True
        try:
            yield self
        finally:
            self.in_view = False

    def val_step(self, data):
        out = []
        for sample in data['data_samples']:
            pred = TEACHER if self.in_view else STUDENT
            sample.pred_sem_seg = PixelData(data=pred.clone())
            out.append(sample)
        return out


def _batch():
    sample = SegDataSample(gt_sem_seg=PixelData(data=GT.clone()))
    sample.set_metainfo(dict(img_shape=(2, 2), ori_shape=(2, 2)))
    return dict(inputs=[torch.zeros(3, 2, 2)], data_samples=[sample])


class _ValSet(list):
    metainfo = dict(classes=('a', 'b'), palette=[[0, 0, 0], [1, 1, 1]])


def _runner(model):
    return SimpleNamespace(
        model=model,
        val_dataloader=SimpleNamespace(dataset=_ValSet([None])),
        message_hub=MessageHub.get_instance('test_lead_hook'))


def test_lead_hook_scores_the_self_teacher_by_hand():
    model = FakeSelfTeacherModel()
    runner = _runner(model)
    hook = SelfTeacherLeadHook()
    hook.before_val_epoch(runner)
    batch = _batch()
    # the val loop: the student's predictions first
    student_out = model.val_step(batch)
    hook.after_val_iter(runner, 0, batch, student_out)
    # the student's samples are left with the student's predictions
    assert torch.equal(student_out[0].pred_sem_seg.data, STUDENT)
    # student: class 0 IoU 1/2 (1 px shared of 2), class 1 IoU 2/3 ->
    # mIoU 58.33; the self-teacher predicts the labels exactly: 100
    metrics = {'mIoU': 100 * (0.5 + 2 / 3) / 2, 'aAcc': 75.0}
    hook.after_val_epoch(runner, metrics)
    assert metrics['self_teacher/mIoU'] == pytest.approx(100.0)
    assert metrics['self_teacher/lead'] == pytest.approx(100 - 58.33, abs=0.01)
    assert metrics['self_teacher/aAcc'] == pytest.approx(100.0)
    assert metrics['self_teacher/lead_aAcc'] == pytest.approx(25.0)
    # logged for LoggerHook / scalars.json
    hub = runner.message_hub
    assert hub.get_scalar('val/self_teacher/lead').current() == \
        pytest.approx(41.67, abs=0.01)
    assert model.in_view is False


def test_lead_hook_refuses_a_model_without_self_teacher():
    runner = _runner(nn.Linear(1, 1))
    with pytest.raises(
            TypeError,
            match='SelfTeacherLeadHook needs.*Linear '
            'does not implement SelfTeacherLeadTarget'):
        SelfTeacherLeadHook().before_val_epoch(runner)


def test_lead_hook_scores_as_the_val_evaluator_ignored_pixels_included():
    """The hook copies the val evaluator's IoUMetric settings: a 255 pixel
    is ignored for the self-teacher too, and a prefix is followed."""
    from mmseg.evaluation import IoUMetric
    model = FakeSelfTeacherModel()
    runner = _runner(model)
    runner.val_evaluator = SimpleNamespace(
        metrics=[IoUMetric(ignore_index=255, prefix='val_set')])
    hook = SelfTeacherLeadHook()
    hook.before_val_epoch(runner)
    batch = _batch()
    # the only pixel the self-teacher gets wrong is ignored
    batch['data_samples'][0].gt_sem_seg.data[0, 0, 1] = 255
    global TEACHER
    saved, TEACHER = TEACHER, torch.tensor([[[0, 0], [1, 1]]])
    try:
        hook.after_val_iter(runner, 0, batch, None)
    finally:
        TEACHER = saved
    metrics = {'val_set/mIoU': 50.0}
    hook.after_val_epoch(runner, metrics)
    assert metrics['self_teacher/mIoU'] == pytest.approx(100.0)
    assert metrics['self_teacher/lead'] == pytest.approx(50.0)


def test_the_val_lead_is_reported_and_never_reaches_a_gate():
    """The val split is where mIoU is reported: a held-out gate reads the
    lead measured on the held-out part of the training set, never this."""
    from selfkd_seg.models.distillers import DistillGate
    model = FakeSelfTeacherModel()
    model.distill_gate = DistillGate(lead_source='held_out', lead_margin=100.0)
    runner = _runner(model)
    hook = SelfTeacherLeadHook(held_out=True)
    hook.before_val_epoch(runner)
    batch = _batch()
    hook.after_val_iter(runner, 0, batch, model.val_step(batch))
    metrics = {'mIoU': 100 * (0.5 + 2 / 3) / 2}
    hook.after_val_epoch(runner, metrics)
    assert metrics['self_teacher/lead'] == pytest.approx(41.67, abs=0.01)
    assert model.distill_gate.factor() == 0.0
    assert model.distill_gate.held_out_lead.item() == 0.0


def test_bad_interval_is_refused():
    with pytest.raises(ValueError, match='interval'):
        SelfTeacherLeadHook(held_out=True, interval=0)

"""Comparisons whose control is exact (issue 30), through a real runner:

- a FRSKD student starts from the baseline's weights and, while its gate is
  closed, trains exactly as the baseline (the self-teacher draws its random
  numbers from its own stream and reads detached features);
- the held-out lead never looks at the val split, and measuring it changes
  neither the random stream nor the model;
- a run resumed from the checkpoint written at a measuring iteration gates
  the next interval with the lead measured there, as the uninterrupted run.
"""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from selfkd_seg.apis.config import prepare_train_cfg
from selfkd_seg.engine.hooks import SelfTeacherLeadHook

STUDENT = ('backbone.', 'neck.', 'decode_head.')


def _split(cfg):
    """Every method trains on the same 3 of the 4 toy images."""
    cfg.train_dataloader.dataset = dict(
        type='HoldOutSplit',
        hold_out=1,
        part='train',
        dataset=cfg.train_dataloader.dataset)
    return cfg


def _baseline(tiny_seg_cfg, tmp_path, max_iters):
    return _split(
        tiny_seg_cfg('efficientdet_seg/efficientdet-d0_240it_toy.py',
                     max_iters, str(tmp_path / 'baseline')))


def _gated(tiny_seg_cfg, tmp_path, max_iters, interval, name='gated'):
    cfg = _split(
        tiny_seg_cfg('frskd_seg/frskd_efficientdet-d0_240it_toy.py', max_iters,
                     str(tmp_path / name)))
    cfg.model.gate = dict(
        pixel='teacher_correct', lead_source='held_out', lead_margin=1.0)
    cfg.custom_hooks = [
        dict(
            type='DistillWeightScheduleHook', by_epoch=False, warmup=0,
            ramp=0),
        dict(type='SelfTeacherLeadHook', held_out=True, interval=interval)
    ]
    return cfg


def _train(cfg):
    prepare_train_cfg(
        cfg, 'toy.py', work_dir=cfg.work_dir, resume=cfg.get('resume', False))
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _student(runner):
    return {
        k: v
        for k, v in runner.model.state_dict().items() if k.startswith(STUDENT)
    }


def test_student_starts_from_the_baselines_weights_through_the_runner(
        tiny_seg_cfg, tmp_path):
    states = []
    for cfg in (_baseline(tiny_seg_cfg, tmp_path,
                          1), _gated(tiny_seg_cfg, tmp_path, 1, interval=100)):
        runner = Runner.from_cfg(cfg)
        runner.model.init_weights()
        states.append((_student(runner), torch.get_rng_state()))
    (base, base_rng), (frskd, frskd_rng) = states
    assert base.keys() == frskd.keys() and len(base) > 100
    assert all(torch.equal(base[k], frskd[k]) for k in base)
    # and the global stream after initialisation is the baseline's
    assert torch.equal(base_rng, frskd_rng)


def test_closed_gate_trains_the_baselines_student_bit_for_bit(
        tiny_seg_cfg, tmp_path):
    """The gate never opens (no measurement within the run): 3 iterations
    of FRSKD give the baseline's student, every tensor equal."""
    base = _student(_train(_baseline(tiny_seg_cfg, tmp_path, 3)))
    gated_runner = _train(_gated(tiny_seg_cfg, tmp_path, 3, interval=100))
    gated = _student(gated_runner)
    assert gated_runner.model.distill_gate.factor() == 0.0
    different = [k for k in base if not torch.equal(base[k], gated[k])]
    assert not different
    # the self-teacher did train meanwhile (on its own CE)
    assert gated_runner.message_hub.get_scalar(
        'train/self_teacher.loss_ce').current() > 0


@HOOKS.register_module(force=True)
class _AroundLeadHook(Hook):
    """Test hook: records the random state and the model before and after
    the lead hook's after_train_iter (priorities around NORMAL)."""

    records = []

    def __init__(self, when):
        self.when = when

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        model = runner.model
        self.records.append(
            (self.when, runner.iter, torch.get_rng_state(), model.training, {
                k: v.clone()
                for k, v in model.state_dict().items()
            }))


def test_measuring_the_held_out_lead_changes_nothing_and_reaches_the_gate(
        tiny_seg_cfg, tmp_path):
    cfg = _gated(tiny_seg_cfg, tmp_path, 2, interval=1)
    cfg.custom_hooks += [
        dict(type='_AroundLeadHook', when='before', priority='ABOVE_NORMAL'),
        dict(type='_AroundLeadHook', when='after', priority='BELOW_NORMAL')
    ]
    _AroundLeadHook.records = []
    runner = _train(cfg)
    records = _AroundLeadHook.records
    assert [r[:2] for r in records] == [('before', 0), ('after', 0),
                                        ('before', 1), ('after', 1)]
    for before, after in (records[0:2], records[2:4]):
        assert torch.equal(before[2], after[2])  # the random stream
        assert before[3] and after[3]  # still in training mode
        assert all(torch.equal(before[4][k], after[4][k]) for k in before[4])
    hub = runner.message_hub
    lead = hub.get_scalar('held_out/lead').current()
    assert lead == pytest.approx(
        hub.get_scalar('held_out/self_teacher_mIoU').current() -
        hub.get_scalar('held_out/mIoU').current())
    assert runner.model.distill_gate.held_out_lead.item() == pytest.approx(
        lead)


def test_the_lead_is_scored_on_the_held_out_image_not_on_val(
        tiny_seg_cfg, tmp_path):
    cfg = _gated(tiny_seg_cfg, tmp_path, 1, interval=1)
    prepare_train_cfg(cfg, 'toy.py', work_dir=cfg.work_dir)
    runner = Runner.from_cfg(cfg)
    loader_cfg = SelfTeacherLeadHook._held_out_dataloader_cfg(runner)
    loader = runner.build_dataloader(loader_cfg)
    held = [
        loader.dataset.get_data_info(i)['img_path']
        for i in range(len(loader.dataset))
    ]
    train = runner.build_dataloader(cfg.train_dataloader).dataset
    trained = {train.get_data_info(i)['img_path'] for i in range(len(train))}
    val = runner.build_dataloader(cfg.val_dataloader).dataset
    val_paths = {val.get_data_info(i)['img_path'] for i in range(len(val))}
    assert len(held) == 1 and held[0] not in trained
    assert not set(held) & val_paths
    # with the val pipeline (no random transforms)
    assert [t['type'] for t in loader_cfg['dataset']['dataset']['pipeline']
            ] == [t['type'] for t in cfg.val_dataloader.dataset.pipeline]


def test_a_held_out_gate_needs_the_split_and_the_hook(tiny_seg_cfg, tmp_path):
    cfg = _gated(tiny_seg_cfg, tmp_path, 1, interval=1)
    cfg.train_dataloader.dataset = cfg.train_dataloader.dataset.dataset
    with pytest.raises(ValueError, match='HoldOutSplit'):
        _train(cfg)
    cfg = _gated(tiny_seg_cfg, tmp_path, 1, interval=1, name='nohook')
    cfg.custom_hooks[1] = dict(type='SelfTeacherLeadHook')
    with pytest.raises(ValueError, match='held_out=True'):
        _train(cfg)


def test_resume_at_a_measuring_iteration_gates_as_the_uninterrupted_run(
        tiny_seg_cfg, tmp_path, monkeypatch):
    """The lead measured at iteration 2 (here 20 mIoU points, injected)
    opens the gate for iterations 3-4; the checkpoint written at iteration
    2 must hold it, or a run resumed from there gates iteration 3 with the
    lead of before."""
    monkeypatch.setattr(SelfTeacherLeadHook, '_score_held_out',
                        lambda self, runner: (0.0, 10.0 * (runner.iter + 1)))
    reference_cfg = _gated(
        tiny_seg_cfg, tmp_path, 4, interval=2, name='reference')
    reference_cfg.default_hooks.checkpoint.interval = 2
    reference = _train(reference_cfg)
    ckpt = osp.join(reference_cfg.work_dir, 'iter_2.pth')
    saved = torch.load(ckpt, weights_only=True)['state_dict']
    assert saved['distill_gate.held_out_lead'].item() == 20.0
    assert reference.model.distill_gate.held_out_lead.item() == 40.0

    resumed_cfg = _gated(tiny_seg_cfg, tmp_path, 4, interval=2, name='resumed')
    resumed_cfg.default_hooks.checkpoint.interval = 2
    resumed_cfg.resume = ckpt
    resumed = _train(resumed_cfg)
    assert resumed.iter == 4
    ref, got = reference.model.state_dict(), resumed.model.state_dict()
    assert ref.keys() == got.keys()
    assert [k for k in ref if not torch.equal(ref[k], got[k])] == []

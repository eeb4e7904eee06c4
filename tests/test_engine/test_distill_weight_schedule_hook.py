"""DistillWeightScheduleHook: FRSKD's warm-up + sigmoid ramp."""
import math
from types import SimpleNamespace

import pytest
import torch.nn as nn

from selfkd_seg.engine.hooks import DistillWeightScheduleHook, sigmoid_rampup


@pytest.mark.parametrize(
    'progress, expected',
    [
        (0, 0.0),
        (39, 0.0),
        (40, math.exp(-5.0)),  # t = 0
        (50, math.exp(-5.0 * 0.25)),  # t = 0.5
        (55, math.exp(-5.0 * 0.0625)),  # t = 0.75
        (60, 1.0),  # t = 1
        (75, 1.0),  # clipped
    ])
def test_ramp_values_of_the_frskd_schedule(progress, expected):
    assert sigmoid_rampup(
        progress, warmup=40, ramp=20) == pytest.approx(
            expected, rel=1e-12)


def test_zero_ramp_jumps_to_full_weight():
    assert sigmoid_rampup(9, 10, 0) == 0.0
    assert sigmoid_rampup(10, 10, 0) == 1.0


class Distiller(nn.Module):

    def __init__(self):
        super().__init__()
        self.distill_weights = dict(alpha=1.0, beta=50.0)


def runner_at(model, epoch=0, it=0, max_epochs=60, max_iters=600):
    return SimpleNamespace(
        model=model,
        epoch=epoch,
        iter=it,
        max_epochs=max_epochs,
        max_iters=max_iters)


def test_hook_scales_every_weight_and_restores_them_after_training():
    model = Distiller()
    hook = DistillWeightScheduleHook(warmup=4, ramp=4, by_epoch=False)
    hook.before_train(runner_at(model))
    hook.before_train_iter(runner_at(model, it=2), 0)
    assert model.distill_weights == dict(alpha=0.0, beta=0.0)
    # iteration 5 counts as the 6th done: t = (5 + 1 - 4) / 4 = 0.5
    hook.before_train_iter(runner_at(model, it=5), 0)
    f = math.exp(-5 * 0.25)
    assert model.distill_weights['alpha'] == pytest.approx(f)
    assert model.distill_weights['beta'] == pytest.approx(50 * f)
    hook.after_train(runner_at(model))
    assert model.distill_weights == dict(alpha=1.0, beta=50.0)


def test_by_epoch_uses_the_epoch_index():
    model = Distiller()
    hook = DistillWeightScheduleHook(warmup=40, ramp=20, by_epoch=True)
    hook.before_train(runner_at(model))
    hook.before_train_iter(runner_at(model, epoch=49, it=10**6), 0)
    assert model.distill_weights['alpha'] == pytest.approx(math.exp(-1.25))


def _authors_weight(epoch, warmup=40, num_epochs=60):
    """FRSKD segmentation main.py, written out for 0-based epochs."""
    if epoch < warmup:
        return 0.0
    current = min(max(epoch + 1 - warmup, 0.0), num_epochs - warmup)
    phase = 1.0 - current / (num_epochs - warmup)
    return math.exp(-5.0 * phase * phase)


@pytest.mark.parametrize('epoch', [0, 39, 40, 41, 49, 58, 59])
def test_epochs_match_the_authors_schedule(epoch):
    """Full weight in the last epoch (59), 0 before epoch 40, and the first
    ramp epoch already at t = 1/20 (the old hook was one epoch late)."""
    model = Distiller()
    hook = DistillWeightScheduleHook(warmup=40, ramp=20, by_epoch=True)
    hook.before_train(runner_at(model))
    hook.before_train_iter(runner_at(model, epoch=epoch), 0)
    assert model.distill_weights['alpha'] == pytest.approx(
        _authors_weight(epoch), rel=1e-12)
    if epoch == 59:
        assert model.distill_weights['beta'] == pytest.approx(50.0)


def test_resume_keeps_the_full_weights_not_the_scaled_ones():
    model = Distiller()
    hook = DistillWeightScheduleHook(warmup=4, ramp=4, by_epoch=False)
    hook.before_train(runner_at(model))
    hook.before_train_iter(runner_at(model, it=5), 0)
    assert model.distill_weights['alpha'] < 1.0
    # the hook scales, it never overwrites what "full" means: that stays
    # the config's value, in the model, and the checkpoint needs nothing
    assert model.distill_weights.full == dict(alpha=1.0, beta=50.0)
    ckpt = {}
    hook.before_save_checkpoint(runner_at(model), ckpt)
    assert ckpt == {}
    resumed = DistillWeightScheduleHook(warmup=4, ramp=4, by_epoch=False)
    resumed.after_load_checkpoint(runner_at(model), ckpt)
    resumed.before_train(runner_at(model))
    resumed.before_train_iter(runner_at(model, it=8), 0)
    assert model.distill_weights == dict(alpha=1.0, beta=50.0)


def test_clear_errors():
    with pytest.raises(ValueError, match='warmup must be >= 0, got -1'):
        DistillWeightScheduleHook(warmup=-1)
    with pytest.raises(ValueError, match='ramp_ratio must be >= 0'):
        DistillWeightScheduleHook(ramp_ratio=-0.5)
    hook = DistillWeightScheduleHook()
    with pytest.raises(AttributeError, match='has no distill_weights'):
        hook.before_train(runner_at(nn.Linear(2, 2)))
    hook = DistillWeightScheduleHook(keys=('gamma', ))
    with pytest.raises(KeyError, match='gamma'):
        hook.before_train(runner_at(Distiller()))


@pytest.mark.parametrize('epoch', [0, 39, 40, 41, 49, 58, 59])
def test_default_fractions_are_the_papers_40_20_of_60(epoch):
    model = Distiller()
    hook = DistillWeightScheduleHook(by_epoch=True)
    assert hook.schedule(60) == (40, 20)
    hook.before_train(runner_at(model))
    hook.before_train_iter(runner_at(model, epoch=epoch), 0)
    assert model.distill_weights['alpha'] == pytest.approx(
        _authors_weight(epoch), rel=1e-12)


def test_fractions_keep_the_shape_when_training_is_shorter():
    """A config that inherits the toy one and sets max_iters=30 still
    distils over the last third, with full weight at the last iteration."""
    model = Distiller()
    hook = DistillWeightScheduleHook(by_epoch=False)
    assert hook.schedule(600) == (400, 200) and hook.schedule(30) == (20, 10)
    short = dict(max_iters=30)
    hook.before_train(runner_at(model, **short))
    hook.before_train_iter(runner_at(model, it=19, **short), 0)
    assert model.distill_weights['alpha'] == 0.0
    hook.before_train_iter(runner_at(model, it=20, **short), 0)
    assert 0.0 < model.distill_weights['alpha'] < 1.0
    hook.before_train_iter(runner_at(model, it=29, **short), 0)
    assert model.distill_weights == dict(alpha=1.0, beta=50.0)
    # absolute counts still win over the fractions
    assert DistillWeightScheduleHook(warmup=5).schedule(30) == (5, 10)


def test_a_schedule_that_never_distils_warns_at_start(monkeypatch):
    import logging

    from selfkd_seg.engine.hooks import distill_weight_schedule_hook as mod
    logged = []
    monkeypatch.setattr(
        mod,
        'print_log',
        lambda msg, logger=None, level=logging.INFO: logged.append(
            (level, msg)))
    hook = DistillWeightScheduleHook(warmup=400, ramp=200, by_epoch=False)
    hook.before_train(runner_at(Distiller(), max_iters=60))
    (level, message), = logged
    assert level == logging.WARNING
    assert 'stay 0 for the whole run' in message
    assert 'warm-up of 400 iterations in a run of 60' in message
    logged.clear()
    DistillWeightScheduleHook(by_epoch=False).before_train(
        runner_at(Distiller(), max_iters=60))
    (level, message), = logged
    assert level == logging.INFO and 'ramp of 20' in message

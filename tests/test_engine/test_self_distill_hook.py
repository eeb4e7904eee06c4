import copy
import io
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

import selfkd_seg  # noqa: F401
from selfkd_seg.engine.hooks import SelfDistillHook, hflip_parameter
from selfkd_seg.registry import HOOKS


class TinyDistiller(nn.Module):
    """A student (conv3x3, conv1x1, bn, fc), an integrator and a teacher."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(2, 3, 3), nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3))
        self.head = nn.Linear(3, 2)
        self.integrator = nn.Conv2d(3, 4, (1, 3))
        self.teacher = nn.Conv2d(2, 4, 3)
        self.teacher.requires_grad_(False)


def _runner(model, epoch=0, max_epochs=10, it=0, max_iters=100):
    return SimpleNamespace(
        model=model,
        epoch=epoch,
        max_epochs=max_epochs,
        iter=it,
        max_iters=max_iters,
        seed=0,
        train_dataloader=[None] * 5)


def _perturb(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))


def _params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize('flip_prob', [0.0, 1.0])
def test_update_matches_formula(flip_prob):
    model = TinyDistiller()
    hook = SelfDistillHook(tau=0.9, random_flip=True, flip_prob=flip_prob)
    runner = _runner(model)
    _perturb(model, 0)
    bn_stats = model.backbone[2].running_mean.clone()
    hook.after_train_epoch(runner)  # epoch 1: snapshot only
    prev = _params(model)
    assert hook.num_updates == 0

    _perturb(model, 1)  # "training" during epoch 2
    cur = _params(model)
    model.backbone[2].running_mean.add_(5.)
    runner.epoch = 1
    hook.after_train_epoch(runner)
    assert hook.num_updates == 1 and hook.last_flip == (flip_prob == 1.0)
    after = _params(model)
    for name in cur:
        if name.startswith('teacher'):
            assert torch.equal(after[name], cur[name])  # never blended
            continue
        p = prev[name]
        if flip_prob == 1.0 and p.dim() == 4 and p.shape[-1] > 1:
            p = p.flip(-1)
        torch.testing.assert_close(after[name], 0.9 * cur[name] + 0.1 * p)
    # the 3x3 kernel and the (1, 3) integrator kernel were mirrored; the 1x1
    # conv, BN and linear parameters cannot tell
    flipped = flip_prob == 1.0
    w = 'backbone.0.weight'
    assert torch.allclose(after[w], 0.9 * cur[w] + 0.1 * prev[w]) != flipped
    # BN running statistics are buffers: not blended
    torch.testing.assert_close(model.backbone[2].running_mean, bn_stats + 5.)
    # the snapshot is the blended network
    assert all(
        torch.equal(hook._snapshot[n], after[n]) for n in hook._snapshot)
    assert not any(n.startswith('teacher') for n in hook._snapshot)


def test_sd_never_flips():
    model = TinyDistiller()
    hook = SelfDistillHook(tau=0.5, random_flip=False, flip_prob=1.0)
    runner = _runner(model)
    hook.after_train_epoch(runner)
    prev = _params(model)
    _perturb(model, 3)
    cur = _params(model)
    hook.after_train_epoch(runner)
    assert hook.last_flip is False
    torch.testing.assert_close(
        model.backbone[0].weight,
        0.5 * cur['backbone.0.weight'] + 0.5 * prev['backbone.0.weight'])


def test_hflip_parameter():
    w = torch.arange(6.).view(1, 1, 2, 3)
    assert torch.equal(hflip_parameter(w), w.flip(-1))
    for t in (torch.ones(2, 2, 3, 1), torch.ones(3, 4), torch.ones(5)):
        assert hflip_parameter(t) is t


def test_tau_schedule():
    hook = SelfDistillHook(tau=(0.995, 0.999))
    assert hook.current_tau(_runner(None, epoch=0, max_epochs=4)) == \
        pytest.approx(0.996)
    assert hook.current_tau(_runner(None, epoch=3, max_epochs=4)) == \
        pytest.approx(0.999)
    it_hook = SelfDistillHook(tau=(0.995, 0.999), by_epoch=False)
    assert it_hook.current_tau(_runner(None, it=49, max_iters=100)) == \
        pytest.approx(0.997)
    assert SelfDistillHook(tau=0.99).current_tau(_runner(
        None, epoch=7)) == pytest.approx(0.99)


def test_iteration_interval():
    model = TinyDistiller()
    hook = SelfDistillHook(tau=0.5, by_epoch=False)  # an epoch = 5 iters
    runner = _runner(model)
    calls = []
    hook.update = lambda r: calls.append(r.iter)
    for it in range(12):
        runner.iter = it
        hook.after_train_iter(runner, it)
        hook.after_train_epoch(runner)  # ignored when by_epoch=False
    assert calls == [4, 9]


def test_state_survives_save_and_resume():
    model = TinyDistiller()
    hook = SelfDistillHook(tau=0.9, flip_prob=0.5, seed=7)
    runner = _runner(model)
    for epoch in range(3):
        runner.epoch = epoch
        _perturb(model, epoch)
        hook.after_train_epoch(runner)
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    buf = io.BytesIO()
    torch.save(ckpt, buf)  # must load with weights_only=True
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)

    resumed_model = copy.deepcopy(model)
    resumed = HOOKS.build(dict(type='SelfDistillHook', tau=0.9, seed=7))
    resumed.after_load_checkpoint(runner, ckpt)
    assert resumed.num_updates == 2
    runner2 = _runner(resumed_model)
    flips = []
    for epoch in range(3, 9):
        runner.epoch = runner2.epoch = epoch
        _perturb(model, epoch)
        _perturb(resumed_model, epoch)
        hook.after_train_epoch(runner)
        resumed.after_train_epoch(runner2)
        flips.append(hook.last_flip)
        assert resumed.last_flip == hook.last_flip
        for (n, a), b in zip(model.named_parameters(),
                             resumed_model.parameters()):
            assert torch.equal(a, b), n
    assert len(set(flips)) == 2  # both outcomes happen with p = 0.5


def test_errors():
    for tau in (1.0, 0.0, (0.5, 1.2), (0.1, 0.2, 0.3)):
        with pytest.raises(ValueError, match='tau'):
            SelfDistillHook(tau=tau)
    with pytest.raises(ValueError, match='flip_prob'):
        SelfDistillHook(flip_prob=1.5)
    with pytest.raises(ValueError, match='interval'):
        SelfDistillHook(interval=0)
    frozen = TinyDistiller().requires_grad_(False)
    with pytest.raises(RuntimeError, match='no trainable parameter'):
        SelfDistillHook().before_train(_runner(frozen))
    hook = SelfDistillHook()
    model = TinyDistiller()
    hook.after_train_epoch(_runner(model))
    other = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(KeyError, match='do not match'):
        hook.after_train_epoch(_runner(other))


def _tensors(obj):
    if torch.is_tensor(obj):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (list, tuple)):
        return [t for item in obj for t in _tensors(item)]
    return []


def test_holds_exactly_one_parameter_copy():
    model = TinyDistiller()
    hook = SelfDistillHook(tau=0.9, flip_prob=1.0)
    runner = _runner(model)
    for epoch in range(3):
        runner.epoch = epoch
        _perturb(model, epoch)
        hook.after_train_epoch(runner)
    params = hook.blended_parameters(runner)
    held = _tensors(list(vars(hook).values()))
    assert sum(t.numel() for t in held) == sum(p.numel()
                                               for p in params.values())
    storages = {t.untyped_storage().data_ptr() for t in held}
    assert len(storages) == len(held)  # no tensor held twice
    live = {p.untyped_storage().data_ptr() for p in model.parameters()}
    assert not storages & live  # a copy, not an alias of the parameters

"""Ctrl-C saves and exits cleanly; a NaN loss stops, names the term and keeps
the last good checkpoint."""
import os
import os.path as osp
import signal

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.runner import Runner
from tiny_configs import tiny_cfg

from selfkd_seg.apis.config import prepare_train_cfg
from selfkd_seg.engine.hooks import NonFiniteLossError


@HOOKS.register_module(force=True)
class _TestActionHook(Hook):
    """Before iteration ``at``: send SIGINT to ourselves, or poison the
    student's classifier with NaN."""

    def __init__(self, at: int, action: str):
        self.at, self.action = at, action

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 != self.at:
            return
        if self.action == 'sigint':
            os.kill(os.getpid(), signal.SIGINT)
        else:
            model = runner.model.module if is_model_wrapper(
                runner.model) else runner.model
            with torch.no_grad():
                model.decode_head.conv_seg.weight.fill_(float('nan'))


@pytest.mark.skipif(not hasattr(signal, 'SIGINT'), reason='needs SIGINT')
def test_ctrl_c_finishes_the_step_saves_and_exits(toy_data, tmp_path,
                                                  train_script):
    cfg = tiny_cfg('baseline', toy_data, str(tmp_path), max_iters=4)
    cfg.custom_hooks = [dict(type='_TestActionHook', at=2, action='sigint')]
    cfg_path = str(tmp_path / 'sigint.py')
    cfg.dump(cfg_path)
    work_dir = str(tmp_path / 'run')
    previous = signal.getsignal(signal.SIGINT)
    with pytest.raises(SystemExit) as stop:
        train_script.main([cfg_path, '--work-dir', work_dir])
    assert stop.value.code == 130
    assert signal.getsignal(signal.SIGINT) is previous  # handler removed
    saved = osp.join(work_dir, 'interrupted_iter_2.pth')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == saved
    ckpt = torch.load(saved, weights_only=True)
    assert ckpt['meta']['iter'] == 2  # iteration 2 completed, not torn
    assert 'rng_states' in ckpt


def test_nonfinite_loss_stops_naming_term_iteration_and_last_checkpoint(
        toy_data, tmp_path):
    cfg = tiny_cfg(
        'baseline', toy_data, str(tmp_path), max_iters=4, ckpt_interval=1)
    prepare_train_cfg(cfg, 'baseline.py', work_dir=str(tmp_path))
    cfg.custom_hooks.append(dict(type='_TestActionHook', at=3, action='nan'))
    runner = Runner.from_cfg(cfg)
    good = osp.join(str(tmp_path), 'iter_2.pth')
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(NonFiniteLossError) as err:
            runner.train()
    finally:  # the interrupt hook's handler stays when training raises
        signal.signal(signal.SIGINT, previous)
    message = str(err.value)
    assert 'iteration 3' in message
    assert 'decode.loss_ce=nan' in message
    assert good in message
    assert not osp.exists(osp.join(str(tmp_path), 'iter_3.pth'))
    weights = torch.load(good, weights_only=True)['state_dict']
    assert all(
        torch.isfinite(w).all() for w in weights.values()
        if w.is_floating_point())


class _FullDiskFile:
    """A file whose write stores half of the bytes, then hits ENOSPC."""

    def __init__(self, raw):
        self.raw = raw

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.raw.close()

    def write(self, data):
        import errno
        self.raw.write(data[:len(data) // 2])
        self.raw.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.raw, name)


def test_full_disk_removes_the_partial_file_and_names_folder_and_size(
        toy_data, tmp_path, train_script, monkeypatch):
    from selfkd_seg.engine import checkpoint_io
    cfg = tiny_cfg(
        'baseline', toy_data, str(tmp_path), max_iters=4, ckpt_interval=2)
    cfg_path = str(tmp_path / 'full_disk.py')
    cfg.dump(cfg_path)
    work_dir = str(tmp_path / 'run')
    real_open = open

    def open_on_a_full_disk(path, mode='r', *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        if str(path).endswith('iter_4.pth.tmp'):
            return _FullDiskFile(f)
        return f

    monkeypatch.setattr(
        checkpoint_io, 'open', open_on_a_full_disk, raising=False)
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit) as stop:
            train_script.main([cfg_path, '--work-dir', work_dir])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert stop.value.code == train_script.EXIT_DISK_FULL
    files = sorted(os.listdir(work_dir))
    assert not [f for f in files if f.endswith('.tmp')], files
    assert 'iter_4.pth' not in files
    good = osp.join(work_dir, 'iter_2.pth')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == good
    assert torch.load(good, weights_only=True)['meta']['iter'] == 2
    # the message, as logged, names the folder, the size and what to do
    with pytest.raises(checkpoint_io.DiskFullError) as err:
        checkpoint_io.atomic_write_bytes(b'x' * 1000,
                                         osp.join(work_dir, 'iter_4.pth'))
    message = str(err.value)
    assert work_dir in message and '1,000 bytes' in message
    assert 'max_keep_ckpts' in message and '--resume' in message
    assert err.value.errno == 28
    assert not osp.exists(osp.join(work_dir, 'iter_4.pth.tmp'))

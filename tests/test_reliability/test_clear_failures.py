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

from reliability_cfgs import tiny_cfg
from selfkd_seg.engine.cli import prepare_train_cfg
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
    cfg = tiny_cfg('baseline', toy_data, str(tmp_path), max_iters=4,
                   ckpt_interval=1)
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
    assert all(torch.isfinite(w).all() for w in weights.values()
               if w.is_floating_point())

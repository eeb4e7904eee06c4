"""SIGKILL a toy run twice (once inside a checkpoint write), resume, and get
bit-identical weights and metrics compared with an uninterrupted run."""
import os
import os.path as osp
import signal
import uuid

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner
from tiny_configs import dump_tiny_cfg

from selfkd_seg.apis.config import (apply_speed_options, load_config,
                                    prepare_train_cfg)

pytestmark = pytest.mark.skipif(
    not hasattr(os, 'fork'), reason='uses os.fork to SIGKILL a training run')

MAX_ITERS = 3


@HOOKS.register_module(force=True)
class _SigkillBeforeStepHook(Hook):
    """Test hook: SIGKILL this process right before iteration ``at``."""

    def __init__(self, at: int):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


def _killed_run(cfg_path, work_dir, at, during_save):
    """Train in a forked child that SIGKILLs itself at iteration ``at``:
    before that step, or inside the write of ``iter_<at>.pth`` (the temporary
    file is complete, the rename has not happened)."""
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            cfg = load_config(cfg_path)
            prepare_train_cfg(cfg, cfg_path, work_dir=work_dir, resume=True)
            apply_speed_options(cfg)  # as tools/train.py: the same numerics
            cfg.experiment_name = f'killed_{uuid.uuid4().hex[:6]}'
            if during_save:
                real_replace = os.replace

                def replace(src, dst):
                    if str(src).endswith(f'iter_{at}.pth.tmp'):
                        os.kill(os.getpid(), signal.SIGKILL)
                    real_replace(src, dst)

                os.replace = replace
            else:
                cfg.custom_hooks.append(
                    dict(type='_SigkillBeforeStepHook', at=at))
            Runner.from_cfg(cfg).train()
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _train(train_script, cfg_path, work_dir, *extra):
    return train_script.main([
        cfg_path, '--work-dir', work_dir, *extra, '--cfg-options',
        f'experiment_name=run_{uuid.uuid4().hex[:6]}'
    ])


def _state(path):
    return torch.load(path, weights_only=True)


@pytest.mark.parametrize('method', ['baseline', 'frskd_seg'])
def test_sigkill_twice_then_resume_equals_uninterrupted_run(
        method, toy_data, tmp_path, train_script):
    cfg_path = dump_tiny_cfg(
        method, toy_data, str(tmp_path), max_iters=MAX_ITERS, ckpt_interval=1)
    cfg = load_config(cfg_path)
    cfg.train_cfg.val_interval = 2  # validation between checkpoints too
    cfg.dump(cfg_path)
    ref_dir, run_dir = str(tmp_path / 'reference'), str(tmp_path / 'faulty')

    reference = _train(train_script, cfg_path, ref_dir)

    # 1st kill: inside the write of iter_2.pth -> only the .tmp exists
    _killed_run(cfg_path, run_dir, at=2, during_save=True)
    assert osp.isfile(osp.join(run_dir, 'iter_2.pth.tmp'))
    assert not osp.exists(osp.join(run_dir, 'iter_2.pth'))
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_1.pth')
    # 2nd kill: resumed from iter_1, killed before the step of iteration 3
    _killed_run(cfg_path, run_dir, at=3, during_save=False)
    assert osp.isfile(osp.join(run_dir, 'iter_2.pth'))
    assert not osp.exists(osp.join(run_dir, 'iter_3.pth'))

    resumed = _train(train_script, cfg_path, run_dir, '--resume')
    assert resumed.iter == MAX_ITERS

    ref = _state(osp.join(ref_dir, f'iter_{MAX_ITERS}.pth'))
    got = _state(osp.join(run_dir, f'iter_{MAX_ITERS}.pth'))
    assert ref['state_dict'].keys() == got['state_dict'].keys()
    for key, value in ref['state_dict'].items():
        assert torch.equal(value, got['state_dict'][key]), key
    for idx, slot in ref['optimizer']['state'].items():
        assert torch.equal(slot['momentum_buffer'],
                           got['optimizer']['state'][idx]['momentum_buffer'])
    for key in ('val/mIoU', 'val/aAcc', 'train/loss'):
        assert reference.message_hub.get_scalar(key).current() == \
            resumed.message_hub.get_scalar(key).current(), key

"""The main job's promises: progress on the console while tools run, the
same result for the same seed and thread count, and the toy budget's
shape."""
import math
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from tiny_configs import config_path

from selfkd_research.experiments.experiment import progress_line, run_tool
from selfkd_research.experiments.toy_experiment import (budget_options,
                                                        job_env, parse_args)

TRAIN_LINE = ('12/05 20:10:03 - mmengine - INFO - Iter(train) [ 10/240]  lr: '
              '1.3265e-02  eta: 0:00:11  time: 0.3734  data_time: 0.0103  '
              'loss: 3.0896  decode.loss_ce: 1.5518  self_teacher.loss_ce: '
              '1.5378')
VAL_LINE = ('12/05 20:14:19 - mmengine - INFO - Iter(val) [8/8]    aAcc: '
            '98.1900  mIoU: 86.8700  mAcc: 90.5400  self_teacher/aAcc: '
            '96.4500  self_teacher/mIoU: 80.6600  self_teacher/lead: -6.2100')


def test_progress_line_reads_mmengine_logger_lines():
    assert progress_line(TRAIN_LINE) == 'iter 10/240  loss 3.0896  eta 0:00:11'
    # the student's mIoU, not the self-teacher's (logged later on the line)
    assert progress_line(VAL_LINE) == ('val mIoU 86.8700  aAcc 98.1900  '
                                       'self_teacher/mIoU 80.6600')
    assert progress_line(
        'Epoch(train)  [2][ 10/50]  lr: 1e-2  eta: 0:01:00  time: 0.1  '
        'loss: 2.3') == 'epoch 2  iter 10/50  loss 2.3  eta 0:01:00'
    assert progress_line('Epoch(val) [2][50/50]    accuracy/top1: 81.1100  '
                         'data_time: 0.1') == 'val accuracy/top1 81.1100'
    # per-interval val lines carry no metric; other lines are not progress
    assert progress_line('Iter(val) [4/8]    eta: 0:00:01  time: 0.2') is None
    assert progress_line('Saving checkpoint at 240 iterations') is None


def test_a_silent_tool_gets_heartbeat_lines_and_a_failure_its_log(
        tmp_path, capsys):
    script = ("import time, sys; time.sleep(1.6); print(sys.argv[1]); "
              "print('other output'); sys.exit(3)")
    log = str(tmp_path / 'tool.log')
    with pytest.raises(RuntimeError, match=r'(?s)exit 3.*other output'):
        run_tool([sys.executable, '-c', script, TRAIN_LINE],
                 log, {},
                 progress='fake',
                 heartbeat=0.3)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith('  [fake] ... running, ')
    assert out[0].endswith(' s (last: starting)')
    assert out[-1] == '  [fake] iter 10/240  loss 3.0896  eta 0:00:11'
    # the whole output still goes to the log
    with open(log) as f:
        assert f.read() == f'{TRAIN_LINE}\nother output\n'


def test_a_real_training_prints_its_iterations(tiny_seg_cfg, tmp_path, capsys):
    work_dir = str(tmp_path / 'run')
    cfg = tiny_seg_cfg(
        'frskd_seg/frskd_efficientdet-d0_240it_toy.py',
        max_iters=2,
        work_dir=work_dir)
    cfg_file = str(tmp_path / 'tiny.py')
    cfg.dump(cfg_file)
    env = dict(
        job_env(parse_args(['--data-root', str(tmp_path)])),
        PYTHONWARNINGS='ignore')
    run_tool([sys.executable, 'tools/train.py', cfg_file],
             str(tmp_path / 'train.log'),
             env,
             progress='tiny')
    lines = [
        line for line in capsys.readouterr().out.splitlines()
        if '...' not in line
    ]  # heartbeats depend on the machine
    assert [line.split('  loss')[0] for line in lines[:2]
            ] == ['  [tiny] iter 1/2', '  [tiny] iter 2/2']
    assert lines[2].startswith('  [tiny] val mIoU ')
    assert 'self_teacher/mIoU' in lines[2]


def test_the_job_pins_the_thread_count_of_every_tool(monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '7')
    env = job_env(parse_args(['--data-root', 'data/x']))
    assert env['OMP_NUM_THREADS'] == '1'
    assert env['SELFKD_TOY_DATA'] == osp.abspath('data/x')
    assert job_env(parse_args(['--threads', '2']))['OMP_NUM_THREADS'] == '2'
    with pytest.raises(SystemExit):
        parse_args(['--threads', '0'])


def test_toy_budget_keeps_the_recipe_shape():
    cfg = Config.fromfile(
        config_path('efficientdet_seg/efficientdet-d0_240it_toy.py'))
    assert cfg.train_cfg.max_iters == 240
    assert cfg.train_cfg.val_interval == 80  # 3 points of the mIoU curve
    assert cfg.default_hooks.logger.interval == 10
    assert cfg.param_scheduler[1].end == 240
    assert budget_options(None) == []
    opts = dict(o.split('=') for o in budget_options(60))
    assert opts == {
        'train_cfg.max_iters': '60',
        'train_cfg.val_interval': '20',
        'param_scheduler.0.end': '20',
        'param_scheduler.1.begin': '20',
        'param_scheduler.1.end': '60',
        'default_hooks.checkpoint.interval': '60',
        'default_hooks.logger.interval': '10'
    }


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class _KeepInitialWeights(Hook):

    def before_train(self, runner):
        self.weights = _state(runner.model)


def _train(cfg_factory, name, threads, work_dir, initial=None):
    """3 tiny training steps at ``threads``; the final weights (and the
    initial ones into ``initial``)."""
    torch.set_num_threads(threads)
    try:
        cfg = cfg_factory(name, max_iters=3, work_dir=work_dir)
        cfg.randomness = dict(seed=0)
        cfg.train_cfg.val_interval = 100
        cfg.log_level = 'WARNING'
        runner = Runner.from_cfg(cfg)
        keep = _KeepInitialWeights()
        runner.register_hook(keep)
        runner.train()
        if initial is not None:
            initial.update(keep.weights)
        return _state(runner.model)
    finally:
        torch.set_num_threads(1)


def _relative_difference(a, b):
    """||a - b|| / ||a|| over every trained parameter (BN statistics
    excluded)."""
    keys = [k for k in a if a[k].is_floating_point() and 'running' not in k]
    diff = math.sqrt(sum(((a[k] - b[k])**2).sum().item() for k in keys))
    return diff / math.sqrt(sum((a[k]**2).sum().item() for k in keys))


def test_same_seed_and_threads_give_bit_equal_weights(tiny_seg_cfg, tmp_path):
    """What the main job relies on (README, Reproducibility): same seed,
    same thread count -> the same weights, bit for bit, FRSKD included. A
    different thread count sums floats in another order: the baseline's
    weights then agree to 1e-5 relative after 3 steps."""
    frskd = 'frskd_seg/frskd_efficientdet-d0_240it_toy.py'
    initial = {}
    first = _train(tiny_seg_cfg, frskd, 1, str(tmp_path / 'a'), initial)
    again = _train(tiny_seg_cfg, frskd, 1, str(tmp_path / 'b'))
    assert set(first) == set(again)
    assert all(torch.equal(first[k], again[k]) for k in first)
    # training moved the weights (runs that did nothing would also match)
    assert _relative_difference(initial, first) > 1e-3
    base = 'efficientdet_seg/efficientdet-d0_240it_toy.py'
    one = _train(tiny_seg_cfg, base, 1, str(tmp_path / 'd'))
    two = _train(tiny_seg_cfg, base, 2, str(tmp_path / 'e'))
    assert _relative_difference(one, two) < 1e-5

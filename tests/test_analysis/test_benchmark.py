"""The benchmarks time the training step ``tools/train.py`` runs, with one
timer for the whole package (selfkd_seg.utils.timing,
tests/test_utils/test_timing.py)."""
import copy

import pytest
import torch
from mmengine.runner import Runner

from selfkd_research.benchmarks.benchmark import (RunOptions, build_model,
                                                  prepare_model,
                                                  runner_train_step_fn)
from selfkd_seg.apis.config import apply_speed_options, prepare_train_cfg


def _runner_as_train_py_builds_it(cfg, name, work_dir):
    """The runner of ``tools/train.py`` up to its first iteration: train
    loop, optim wrapper, ``before_run`` hooks (the FastPathHook), the
    accumulation counter; and the first batch of its dataloader."""
    prepare_train_cfg(cfg, name, work_dir=work_dir)
    apply_speed_options(cfg)
    runner = Runner.from_cfg(cfg)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.call_hook('before_run')
    runner.optim_wrapper.initialize_count_status(runner.model, 0,
                                                 runner.max_iters)
    return runner, next(iter(runner.train_dataloader))


@pytest.mark.parametrize('config', [
    'frskd_seg/frskd_efficientdet-d0_240it_toy.py',
    'sfd_seg/sfd_efficientdet-d0-bifpn48_efficientdet-d0_240it_toy.py'
])
def test_one_timed_step_equals_the_runners_train_step(tiny_seg_cfg, tmp_path,
                                                      config):
    cfg = tiny_seg_cfg(config, max_iters=2)
    bench_cfg = copy.deepcopy(cfg)  # the config as the benchmark loads it
    runner, data = _runner_as_train_py_builds_it(cfg, config,
                                                 str(tmp_path / 'run'))
    start = copy.deepcopy(runner.model.state_dict())

    model = prepare_model(build_model(bench_cfg), RunOptions()).train()
    model.load_state_dict(start)
    step = runner_train_step_fn(model, bench_cfg, copy.deepcopy(data),
                                RunOptions())
    assert step.iterations == 1
    assert type(step.optim_wrapper) is type(runner.optim_wrapper)

    torch.manual_seed(0)  # drop-connect draws the same masks in both
    runner.model.train_step(copy.deepcopy(data), runner.optim_wrapper)
    torch.manual_seed(0)
    step()

    expected = runner.model.state_dict()
    got = model.state_dict()
    assert got.keys() == expected.keys()
    changed = [k for k in start if not torch.equal(start[k], expected[k])]
    assert len(changed) > len(start) // 2  # the step did train
    differ = [k for k in expected if not torch.equal(got[k], expected[k])]
    assert differ == []
    # the momentum buffers, too: same optimizer, same settings
    ours = step.optim_wrapper.optimizer.state_dict()
    theirs = runner.optim_wrapper.optimizer.state_dict()
    assert ours['param_groups'] == theirs['param_groups']
    for idx, slot in theirs['state'].items():
        assert torch.equal(ours['state'][idx]['momentum_buffer'],
                           slot['momentum_buffer'])


def test_the_timed_step_uses_the_configs_wrapper_and_amp(tiny_seg_cfg):
    from selfkd_research.benchmarks.benchmark import runner_optim_wrapper
    from selfkd_seg.engine.optim_wrappers import AutocastOptimWrapper
    cfg = tiny_seg_cfg('efficientdet_seg/efficientdet-d0_240it_toy.py')
    cfg.optim_wrapper.accumulative_counts = 3
    model = build_model(cfg)
    wrapper = runner_optim_wrapper(model, cfg, RunOptions(amp='bf16'))
    # --amp bf16's wrapper around the config's optimizer and accumulation
    assert type(wrapper) is AutocastOptimWrapper
    assert wrapper.cast_dtype == torch.bfloat16
    assert wrapper.optimizer.defaults['lr'] == cfg.optim_wrapper.optimizer.lr
    assert wrapper._accumulative_counts == 3


def test_set_crop_size_pads_to_the_benchmark_size():
    from mmengine.config import Config

    from selfkd_research.benchmarks.benchmark import set_crop_size
    cfg = Config(
        dict(
            data_preprocessor=dict(size=(512, 512)),
            model=dict(data_preprocessor=dict(size=(512, 512)))))
    set_crop_size(cfg, (32, 48))
    assert cfg.data_preprocessor.size == (32, 48)
    assert cfg.model.data_preprocessor.size == (32, 48)
    plain = Config(dict(model=dict(data_preprocessor=dict(size=None))))
    set_crop_size(plain, (32, 48))  # no crop size: nothing to change
    assert plain.model.data_preprocessor.size is None

"""selfkd_research.experiments.experiment: budgets keep the recipe's shape,
the table reports mean +- population std and calls a gain only beyond the
spread."""
import json
import math

import pytest

from selfkd_research.experiments.experiment import (cls_budget_options,
                                                    mean_std, read_curves,
                                                    read_run,
                                                    seg_budget_options,
                                                    summary_table)


def _opts(options):
    return dict(o.split('=', 1) for o in options)


def test_seg_budget_is_frskd_shape_as_fractions():
    o = _opts(seg_budget_options(360, distill_schedule=True))
    assert o['train_cfg.max_iters'] == '360'
    assert o['train_cfg.val_interval'] == '360'  # score the last iteration
    assert o['param_scheduler.1.milestones'] == '[240]'  # 40/60 of training
    assert (o['custom_hooks.0.warmup'], o['custom_hooks.0.ramp']) == ('240',
                                                                      '120')
    assert o['param_scheduler.0.end'] == '50'
    # odd lengths still add up; the lr warm-up never exceeds 1/3
    o = _opts(seg_budget_options(61, distill_schedule=True))
    assert int(o['custom_hooks.0.warmup']) + int(o['custom_hooks.0.ramp']) \
        == 61
    assert o['param_scheduler.0.end'] == '20'
    assert 'custom_hooks.0.warmup' not in _opts(seg_budget_options(60))
    with pytest.raises(ValueError, match='max_iters'):
        seg_budget_options(2)


def test_cls_budget_drops_lr_at_half_and_three_quarters():
    o = _opts(cls_budget_options(12))
    assert o['param_scheduler.milestones'] == '[6,9]'
    assert o['train_cfg.max_epochs'] == o['train_cfg.val_interval'] == '12'
    with pytest.raises(ValueError, match='max_epochs'):
        cls_budget_options(1)


def test_mean_std_is_the_population_spread():
    m, sd = mean_std([1.0, 2.0, 4.0])
    assert m == pytest.approx(7 / 3)
    assert sd == pytest.approx(
        math.sqrt(((1 - 7 / 3)**2 + (2 - 7 / 3)**2 + (4 - 7 / 3)**2) / 3))


def test_summary_table_numbers():
    results = {}
    for seed, (b, f, s) in enumerate([(50, 53, 49), (52, 55, 50),
                                      (54, 57, 51)]):
        results[('cls', 'baseline', seed)] = dict(metric=b, iter_time=0.1)
        results[('cls', 'FRSKD', seed)] = dict(metric=f, iter_time=0.25)
        results[('cls', 'SFD', seed)] = dict(metric=s, iter_time=0.2)
    lines, summary = summary_table(
        results, [('cls', 'top-1', ['baseline', 'FRSKD', 'SFD'])], [0, 1, 2])
    std = math.sqrt(8 / 3)  # of (50, 52, 54) and of (53, 55, 57)
    assert summary['cls/baseline']['std'] == pytest.approx(std)
    assert summary['cls/FRSKD']['gain'] == pytest.approx(3.0)
    assert summary['cls/FRSKD']['beyond_seed_std']  # 3 > 1.63
    assert summary['cls/FRSKD']['cost_ratio'] == pytest.approx(2.5)
    assert summary['cls/SFD']['gain'] == pytest.approx(-2.0)
    assert not summary['cls/SFD']['beyond_seed_std']
    assert lines[2].startswith('| cls (top-1) | baseline | 50.00 | 52.00 |')
    assert '| 55.00 +- 1.63 | +3.00 | yes | x2.50 |' in lines[3]
    assert '| -2.00 | no |' in lines[4]


def test_read_run_takes_the_last_validation(tmp_path):
    vis = tmp_path / '20261130_000000' / 'vis_data'
    vis.mkdir(parents=True)
    recs = [
        dict(loss=1.0, time=0.5, step=1),
        dict(mIoU=10.0, step=2),
        dict(loss=0.5, time=0.3, step=3),
        dict(mIoU=20.0, step=4)
    ]
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in recs))
    times, val = read_run(str(tmp_path))
    assert times == [0.5, 0.3] and val['mIoU'] == 20.0
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        read_run(str(tmp_path / 'missing'))
    (vis / 'scalars.json').write_text(json.dumps(recs[0]))
    with pytest.raises(ValueError, match='no validation metric'):
        read_run(str(tmp_path))


def test_seg_budget_val_points_and_earlier_distillation():
    o = _opts(
        seg_budget_options(
            360, distill_schedule=True, val_points=3, distill_warmup=1 / 3))
    assert o['train_cfg.val_interval'] == '120'  # 120, 240, 360
    assert (o['custom_hooks.0.warmup'], o['custom_hooks.0.ramp']) == ('120',
                                                                      '240')
    # the lr shape does not move with the distillation warm-up
    assert o['param_scheduler.1.milestones'] == '[240]'
    with pytest.raises(ValueError, match='distill_warmup'):
        seg_budget_options(360, True, distill_warmup=1.0)


def test_read_curves_collects_train_and_val_leads(tmp_path):
    vis = tmp_path / '20261204_000000' / 'vis_data'
    vis.mkdir(parents=True)
    recs = [
        {
            'loss': 1.0,
            'self_teacher.ce_lead': -0.02,
            'iter': 50
        },
        {
            'mIoU': 10.0,
            'self_teacher/mIoU': 8.0,
            'step': 120
        },
        {
            'loss': 0.5,
            'self_teacher.ce_lead': 0.01,
            'iter': 150
        },
        {
            'mIoU': 12.0,
            'step': 240
        },  # a baseline-like record: no teacher
    ]
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in recs))
    curves = read_curves(str(tmp_path))
    assert curves['train_ce_lead'] == [(50, -0.02), (150, 0.01)]
    assert curves['val'] == [(120, 10.0, 8.0), (240, 12.0, None)]


def test_last_checkpoint_is_the_one_pointer_reader(tmp_path):
    from selfkd_research.experiments import experiment
    from selfkd_seg.engine import checkpoint_io
    assert experiment.last_checkpoint is checkpoint_io.last_checkpoint
    work_dir = str(tmp_path)
    pointer = tmp_path / 'last_checkpoint'
    with pytest.raises(
            FileNotFoundError, match=f'{work_dir} has no '
            'last_checkpoint'):
        experiment.last_checkpoint(work_dir)
    assert experiment.last_checkpoint(work_dir, missing_ok=True) is None
    pointer.write_text('')  # a kill during mmengine's write leaves it empty
    assert experiment.last_checkpoint(work_dir, missing_ok=True) is None
    pointer.write_text('/elsewhere/iter_4.pth\n')  # what mmengine writes
    assert experiment.last_checkpoint(work_dir) == '/elsewhere/iter_4.pth'
    pointer.write_text('iter_2.pth')  # relative to the work dir
    assert experiment.last_checkpoint(work_dir) == str(tmp_path / 'iter_2.pth')

"""The digits experiment's plan: regimes, methods, ablations, budgets."""
import pytest

from selfkd_research.experiments.digits_experiment import (SEG_ABLATIONS,
                                                           parse_args, seg_job)


def _opts(options):
    return dict(o.split('=', 1) for o in options)


def test_regimes_and_ablations_plan(tmp_path):
    ckpt = tmp_path / 'epoch_12.pth'
    ckpt.write_bytes(b'')
    args = parse_args([
        '--tasks', 'seg', '--regime', 'scratch', 'converged',
        '--ablation-regime', 'pretrained', '--pretrained-checkpoint',
        str(ckpt)
    ])
    assert args.regime == ['scratch', 'converged', 'pretrained']
    scratch = seg_job('scratch', 'FRSKD', 1, args, {}, None)
    assert scratch['task'] == 'seg-scratch'
    assert _opts(scratch['budget'])['train_cfg.max_iters'] == '360'
    assert _opts(scratch['budget'])['custom_hooks.0.warmup'] == '240'
    assert not any('pretrained' in o for o in scratch['extra'])
    converged = seg_job('converged', 'baseline', 1, args, {}, None)
    assert _opts(converged['budget'])['train_cfg.max_iters'] == '1440'
    assert 'custom_hooks.0.warmup' not in _opts(converged['budget'])
    early = seg_job('pretrained', 'warm-up 1/3', 2, args, {}, str(ckpt))
    assert _opts(early['budget'])['custom_hooks.0.warmup'] == '120'
    assert f'model.backbone.pretrained={ckpt}' in early['extra']
    assert early['tag'] == 'seg-pretrained_warm-up-13_seed2'
    detached = seg_job('pretrained', 'detached', 0, args, {}, str(ckpt))
    assert 'model.self_teacher.detach_input=True' in detached['extra']
    assert set(SEG_ABLATIONS) == {
        'KD only', 'AT only', 'beta 10', 'warm-up 1/3', 'detached'
    }


def test_bad_plans_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        parse_args(['--pretrained-checkpoint', str(tmp_path / 'missing')])
    with pytest.raises(SystemExit):
        parse_args(['--tasks', 'seg', '--seg-methods', 'FRSKD'])


def test_overall_progress_counts_every_training(tmp_path):
    from selfkd_research.experiments.digits_experiment import (RunCounter,
                                                               count_runs)

    # 3 seg methods x 3 seeds + (3 cls methods x 3 seeds + the SFD teacher)
    assert count_runs(parse_args([])) == 9 + 10
    # + 5 ablations x 1 seed in the pretrained regime, + the pretraining
    args = parse_args([
        '--tasks', 'seg', '--seeds', '0', '--regime', 'scratch',
        '--ablation-regime', 'pretrained'
    ])
    assert count_runs(args) == 3 + (3 + 5) + 1
    assert parse_args(['--threads', '2']).threads == 2
    with pytest.raises(SystemExit):
        parse_args(['--jobs', '0'])
    counter = RunCounter(total=4, started=0.0)
    import time
    line = counter.finished()
    elapsed = time.perf_counter() / 60
    assert line.startswith('1/4 runs done, ')
    # 3 runs left, each as long as the first
    assert line.endswith(f'~{3 * elapsed:.0f} min left')


def test_mmseg_families_plan():
    """--seg-model runs the tiny mmseg families' own configs, with their
    default methods (the val-lead gate), keyed apart from EfficientDet-d0."""
    from selfkd_research.experiments.digits_experiment import (count_runs,
                                                               seg_plan)
    args = parse_args([
        '--tasks', 'seg', '--seg-model', 'efficientdet-d0', 'segformer',
        'bisenetv2', '--seg-iters', '900'
    ])
    plan = seg_plan(args)
    assert plan == [
        ('efficientdet-d0', 'scratch', ['baseline', 'FRSKD', 'FRSKD+gate']),
        ('segformer', 'scratch', ['baseline', 'FRSKD', 'FRSKD+held-out-gate']),
        ('bisenetv2', 'scratch', ['baseline', 'FRSKD', 'FRSKD+held-out-gate']),
    ]
    assert count_runs(args) == 3 * 3 * 3
    gated = seg_job('scratch', 'FRSKD+held-out-gate', 2, args, {}, None,
                    'segformer')
    assert gated['config'] == (
        'configs/frskd_mmseg/'
        'frskd-heldoutgate_segformer_mit-tiny_360it_digits.py')
    assert gated['task'] == 'seg-segformer-scratch'
    assert gated['tag'] == 'seg-segformer-scratch_frskd-held-out-gate_seed2'
    opts = _opts(gated['budget'])
    assert opts['train_cfg.max_iters'] == '900'
    assert opts['train_cfg.val_interval'] == '300'  # the val gate's points
    assert opts['custom_hooks.0.warmup'] == '600'
    base = seg_job('scratch', 'baseline', 0, args, {}, None, 'deeplabv3plus')
    assert base['config'] == ('configs/frskd_mmseg/'
                              'deeplabv3plus_r18-tiny_360it_digits.py')
    assert 'custom_hooks.0.warmup' not in _opts(base['budget'])
    kd = seg_job('converged', 'KD+held-out-gate', 0, args, {}, None,
                 'bisenetv2')
    assert 'model.distill.beta=0.0' in kd['extra']
    assert _opts(kd['budget'])['train_cfg.max_iters'] == '3600'
    kd_only = seg_job('scratch', 'KD only', 0, args, {}, None, 'segformer')
    assert kd_only['config'].endswith(
        '/frskd_segformer_mit-tiny_360it_digits.py')
    assert kd_only['extra'] == ['model.distill.beta=0.0']
    # EfficientDet-d0 keeps its keys (earlier results.json stay readable)
    assert seg_job('scratch', 'FRSKD', 0, args, {}, None)['task'] == \
        'seg-scratch'


def test_mmseg_families_refuse_what_they_lack(tmp_path, capsys):
    ckpt = tmp_path / 'epoch_12.pth'
    ckpt.write_bytes(b'')
    with pytest.raises(SystemExit):
        parse_args([
            '--tasks', 'seg', '--seg-model', 'segformer', '--regime',
            'pretrained', '--pretrained-checkpoint',
            str(ckpt)
        ])
    assert 'pretrained regime' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args([
            '--tasks', 'seg', '--seg-model', 'deeplabv3plus', '--seg-methods',
            'baseline', 'AT only'
        ])
    err = capsys.readouterr().err
    assert 'deeplabv3plus has no method AT only' in err
    with pytest.raises(SystemExit):
        parse_args(['--seg-model', 'pspnet'])


def test_imagenet_regime_plan():
    """The paper's regime (issue 30): the ImageNet Lite0 configs of each
    model, 600 iterations with 6 validations, the held-out gate measured at
    each of them; mmseg's tiny families are refused there."""
    from selfkd_research.experiments.digits_experiment import (count_runs,
                                                               seg_plan)
    args = parse_args([
        '--tasks', 'seg', '--regime', 'imagenet', '--seg-model',
        'efficientdet-d0', 'official-d0', 'segformer-head'
    ])
    assert seg_plan(args) == [
        ('efficientdet-d0', 'imagenet',
         ['baseline', 'FRSKD', 'FRSKD+held-out-gate', 'KD only']),
        ('official-d0', 'imagenet', ['baseline', 'FRSKD']),
        ('segformer-head', 'imagenet', ['baseline', 'FRSKD']),
    ]
    assert count_runs(args) == (4 + 2 + 2) * 3
    gate = seg_job('imagenet', 'FRSKD+held-out-gate', 1, args, {}, None)
    assert gate[
        'config'] == 'frskd-heldoutgate_efficientdet-d0-lite0_900it_digits.py'
    assert gate['task'] == 'seg-imagenet'
    opts = _opts(gate['budget'])
    assert opts['train_cfg.max_iters'] == '600'
    assert opts['train_cfg.val_interval'] == '100'
    assert opts['custom_hooks.0.warmup'] == '400'
    assert 'custom_hooks.1.interval=100' in gate['extra']
    kd = seg_job('imagenet', 'KD only', 0, args, {}, None)
    assert kd['config'] == 'frskd_efficientdet-d0-lite0_900it_digits.py'
    assert kd['extra'] == ['model.distill.beta=0.0']
    mmseg = seg_job('imagenet', 'FRSKD', 0, args, {}, None, 'segformer-head')
    assert mmseg['config'] == (
        'configs/frskd_mmseg/frskd_segformer-head_lite0_900it_digits.py')
    assert seg_job('imagenet', 'baseline', 0, args, {}, None,
                   'official-d0')['config'] == (
                       'efficientdet-official-d0-lite0_900it_digits.py')
    with pytest.raises(SystemExit):
        parse_args(['--regime', 'imagenet', '--seg-model', 'segformer'])
    with pytest.raises(SystemExit):
        parse_args(['--regime', 'scratch', '--seg-model', 'official-d0'])


def test_read_log_takes_the_students_last_table_and_the_held_out_leads(
        tmp_path):
    from selfkd_research.experiments.digits_experiment import read_log
    log = tmp_path / 'run.log'
    log.write_text('\n'.join([
        'held-out lead at iteration 100: student 9.01, self-teacher 8.50 '
        'mIoU, lead -0.51 (gate factor now 0.000)',
        'per class results:',
        '+------+-----+',
        '| Class | IoU | Acc |',
        '| background | 90.0 | 99.0 |',
        '| digit0 | 1.0 | 2.0 |',
        'Iter(val) [50/50]  mIoU: 45.5',
        'held-out lead at iteration 200: student 9.24, self-teacher 10.75 '
        'mIoU, lead +1.51 (gate factor now 1.000)',
        'per class results:',
        '| Class | IoU | Acc |',
        '| background | 93.0 | 99.0 |',
        '| digit0 | 5.5 | 8.0 |',
        'self-teacher on the val set:',
        'per class results:',
        '| background | 1.0 | 1.0 |',
        '| digit0 | 0.0 | 0.0 |',
        'Iter(val) [50/50]  mIoU: 49.2',
    ]))
    per_class, held_out = read_log(str(log))
    assert per_class == {'background': 93.0, 'digit0': 5.5}
    assert held_out == [(100, 9.01, 8.50), (200, 9.24, 10.75)]


def test_reuse_finds_only_runs_finished_at_this_budget(tmp_path):
    from selfkd_research.experiments.digits_experiment import _finished_run
    run = tmp_path / 'seg-imagenet_frskd_seed0'
    run.mkdir()
    log = tmp_path / 'seg-imagenet_frskd_seed0.log'
    budget = ['train_cfg.max_iters=600', 'train_cfg.val_interval=100']
    assert _finished_run(str(run), str(log), budget) is None  # nothing yet
    (run / 'iter_600.pth').write_bytes(b'x')
    (run / 'last_checkpoint').write_text(str(run / 'iter_600.pth'))
    log.write_text('12/07 19:58:14 - mmengine - INFO - start\n'
                   'noise\n12/07 20:07:24 - mmengine - INFO - done\n')
    assert _finished_run(str(run), str(log), budget) == 550.0
    # a run of another length is not this one
    assert _finished_run(str(run), str(log),
                         ['train_cfg.max_iters=900']) is None


def test_cwd_and_dist_soft_label_terms_run_where_their_configs_exist():
    """FRSKD-CWD / FRSKD-DIST (issue 32) have SegFormer configs only: the
    plan points at them, and another family is refused at parse time."""
    from selfkd_research.experiments.digits_experiment import (mmseg_config,
                                                               seg_plan)
    args = parse_args([
        '--tasks', 'seg', '--seg-model', 'segformer', '--seg-methods',
        'baseline', 'FRSKD-CWD', 'FRSKD-DIST'
    ])
    assert [m for _, _, methods in seg_plan(args)
            for m in methods] == ['baseline', 'FRSKD-CWD', 'FRSKD-DIST']
    assert mmseg_config('FRSKD-DIST', 'segformer').endswith(
        'frskd_mmseg/frskd-dist_segformer_mit-tiny_360it_digits.py')
    with pytest.raises(SystemExit):
        parse_args([
            '--tasks', 'seg', '--seg-model', 'deeplabv3plus', '--seg-methods',
            'baseline', 'FRSKD-CWD'
        ])


def test_teacher_student_methods_plan(tmp_path):
    """The teacher-student table (issue 32): SegFormer's student distilled
    from the SegFormer+BiFPN teacher, whose checkpoint goes to every run;
    distillation from the first iteration (no FRSKD warm-up); the teacher
    is trained first (one more run) unless --seg-teacher names it."""
    from selfkd_research.experiments.digits_experiment import (
        TS_METHODS, count_runs, mmseg_config, seg_plan, uses_seg_teacher)
    argv = [
        '--tasks', 'seg', '--seg-model', 'segformer', '--seg-iters', '900',
        '--seg-methods', 'baseline', *TS_METHODS, '--work-dir',
        str(tmp_path)
    ]
    args = parse_args(argv)
    assert uses_seg_teacher(seg_plan(args))
    assert count_runs(args) == 7 * 3 + 1
    teacher = str(tmp_path / 'teacher.pth')
    open(teacher, 'w').close()
    assert count_runs(parse_args(argv + ['--seg-teacher', teacher])) == 21
    for name, prefix in TS_METHODS.items():
        job = seg_job(
            'scratch', name, 1, args, {}, model='segformer', teacher=teacher)
        assert job['config'] == mmseg_config(name, 'segformer')
        assert job['config'].endswith(
            f'sfd_seg/{prefix}segformer-bifpn_segformer_mit-tiny_360it_'
            'digits.py')
        assert f'model.teacher_ckpt={teacher}' in job['extra']
        opts = _opts(job['budget'])
        assert opts['train_cfg.max_iters'] == '900'
        assert not any(k.startswith('custom_hooks') for k in opts)
    # the students' baseline is the plain SegFormer
    assert seg_job(
        'scratch', 'baseline', 1, args, {},
        model='segformer')['config'].endswith(
            'frskd_mmseg/segformer_mit-tiny_360it_digits.py')
    with pytest.raises(SystemExit):  # another family has no such table
        parse_args([
            '--tasks', 'seg', '--seg-model', 'deeplabv3plus', '--seg-methods',
            'baseline', 'SFD+DIST'
        ])


def test_d0_cwd_and_dist_soft_label_terms_in_the_imagenet_regime():
    args = parse_args([
        '--tasks', 'seg', '--regime', 'imagenet', '--seg-model',
        'efficientdet-d0', '--seg-methods', 'baseline', 'FRSKD-CWD',
        'FRSKD-DIST'
    ])
    for name in ('FRSKD-CWD', 'FRSKD-DIST'):
        job = seg_job('imagenet', name, 0, args, {})
        assert job['config'] == (f'frskd-{name[6:].lower()}_efficientdet-'
                                 'd0-lite0_900it_digits.py')
        # FRSKD's schedule: warm-up 2/3 of the 600 iterations, then ramp
        opts = _opts(job['budget'])
        assert opts['custom_hooks.0.warmup'] == '400'

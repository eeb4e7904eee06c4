"""The digits experiment's plan: regimes, methods, ablations, budgets."""
import pytest

from selfkd_seg.experiments.digits_experiment import (SEG_ABLATIONS, parse_args,
                                               seg_job)


def _opts(options):
    return dict(o.split('=', 1) for o in options)


def test_regimes_and_ablations_plan(tmp_path):
    ckpt = tmp_path / 'epoch_12.pth'
    ckpt.write_bytes(b'')
    args = parse_args(['--tasks', 'seg', '--regime', 'scratch', 'converged',
                       '--ablation-regime', 'pretrained',
                       '--pretrained-checkpoint', str(ckpt)])
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
    assert set(SEG_ABLATIONS) == {'KD only', 'AT only', 'beta 10',
                                  'warm-up 1/3', 'detached'}


def test_bad_plans_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        parse_args(['--pretrained-checkpoint', str(tmp_path / 'missing')])
    with pytest.raises(SystemExit):
        parse_args(['--tasks', 'seg', '--seg-methods', 'FRSKD'])


def test_overall_progress_counts_every_training(tmp_path):
    from selfkd_seg.experiments.digits_experiment import RunCounter, count_runs
    # 3 seg methods x 3 seeds + (3 cls methods x 3 seeds + the SFD teacher)
    assert count_runs(parse_args([])) == 9 + 10
    # + 5 ablations x 1 seed in the pretrained regime, + the pretraining
    args = parse_args(['--tasks', 'seg', '--seeds', '0', '--regime',
                       'scratch', '--ablation-regime', 'pretrained'])
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
    from selfkd_seg.experiments.digits_experiment import (count_runs,
                                                          seg_plan)
    args = parse_args(['--tasks', 'seg', '--seg-model', 'efficientdet-d0',
                       'segformer', 'bisenetv2', '--seg-iters', '900'])
    plan = seg_plan(args)
    assert plan == [
        ('efficientdet-d0', 'scratch', ['baseline', 'FRSKD', 'FRSKD+gate']),
        ('segformer', 'scratch', ['baseline', 'FRSKD', 'FRSKD+held-out-gate']),
        ('bisenetv2', 'scratch', ['baseline', 'FRSKD', 'FRSKD+held-out-gate']),
    ]
    assert count_runs(args) == 3 * 3 * 3
    gated = seg_job('scratch', 'FRSKD+held-out-gate', 2, args, {}, None,
                    'segformer')
    assert gated['config'] == ('configs/frskd_mmseg/'
                               'frskd-heldoutgate_segformer_mit-tiny_digits.py')
    assert gated['task'] == 'seg-segformer-scratch'
    assert gated['tag'] == 'seg-segformer-scratch_frskd-held-out-gate_seed2'
    opts = _opts(gated['budget'])
    assert opts['train_cfg.max_iters'] == '900'
    assert opts['train_cfg.val_interval'] == '300'  # the val gate's points
    assert opts['custom_hooks.0.warmup'] == '600'
    base = seg_job('scratch', 'baseline', 0, args, {}, None, 'deeplabv3plus')
    assert base['config'] == ('configs/frskd_mmseg/'
                              'deeplabv3plus_r18-tiny_digits.py')
    assert 'custom_hooks.0.warmup' not in _opts(base['budget'])
    kd = seg_job('converged', 'KD+held-out-gate', 0, args, {}, None, 'bisenetv2')
    assert 'model.distill.beta=0.0' in kd['extra']
    assert _opts(kd['budget'])['train_cfg.max_iters'] == '3600'
    kd_only = seg_job('scratch', 'KD only', 0, args, {}, None, 'segformer')
    assert kd_only['config'].endswith('/frskd_segformer_mit-tiny_digits.py')
    assert kd_only['extra'] == ['model.distill.beta=0.0']
    # EfficientDet-d0 keeps its keys (earlier results.json stay readable)
    assert seg_job('scratch', 'FRSKD', 0, args, {}, None)['task'] == \
        'seg-scratch'


def test_mmseg_families_refuse_what_they_lack(tmp_path, capsys):
    ckpt = tmp_path / 'epoch_12.pth'
    ckpt.write_bytes(b'')
    with pytest.raises(SystemExit):
        parse_args(['--tasks', 'seg', '--seg-model', 'segformer',
                    '--regime', 'pretrained', '--pretrained-checkpoint',
                    str(ckpt)])
    assert 'pretrained regime' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(['--tasks', 'seg', '--seg-model', 'deeplabv3plus',
                    '--seg-methods', 'baseline', 'AT only'])
    err = capsys.readouterr().err
    assert 'deeplabv3plus has no method AT only' in err
    with pytest.raises(SystemExit):
        parse_args(['--seg-model', 'pspnet'])

"""tools/train.py's speed switches (--amp, --channels-last, --compile,
--cudnn-benchmark), the mixed-precision wrapper choice, the real configs'
data loaders, and the benchmark scripts' run options on CPU."""
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import selfkd_seg  # noqa: F401
from selfkd_seg.apis.config import apply_speed_options
from selfkd_seg.engine.optim_wrappers import amp_optim_wrapper_cfg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


# ----------------------------------------------------------- optim wrapper
def test_amp_dtype_choice_cpu():
    base = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
    for dtype in (None, 'auto', 'bf16'):
        cfg = amp_optim_wrapper_cfg(base, dtype)
        assert cfg['type'] == 'AutocastOptimWrapper'
        assert (cfg['device_type'], cfg['dtype']) == ('cpu', 'bfloat16')
    with pytest.raises(ValueError, match='needs a GPU'):
        amp_optim_wrapper_cfg(base, 'fp16')
    with pytest.raises(ValueError, match='must be one of'):
        amp_optim_wrapper_cfg(base, 'fp8')


@pytest.mark.parametrize('bf16_supported', [True, False])
def test_amp_dtype_choice_gpu(monkeypatch, bf16_supported):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported',
                        lambda *a, **k: bf16_supported)
    base = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
    auto = amp_optim_wrapper_cfg(base)
    if bf16_supported:
        # bf16 on a GPU: autocast only, no GradScaler (no per-step sync)
        assert auto == dict(
            base,
            type='AutocastOptimWrapper',
            device_type='cuda',
            dtype='bfloat16')
    else:
        assert auto['type'] == 'AmpOptimWrapper'
    fp16 = amp_optim_wrapper_cfg(base, 'fp16')
    assert (fp16['type'], fp16['loss_scale'],
            fp16['dtype']) == ('AmpOptimWrapper', 'dynamic', 'float16')


# ---------------------------------------------------------- speed options
def test_apply_speed_options():
    cfg = Config(
        dict(
            custom_hooks=[dict(type='RNGStateHook')],
            env_cfg=dict(cudnn_benchmark=False)))
    apply_speed_options(cfg)
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert hooks == ['RNGStateHook', 'FastPathHook']
    assert cfg.custom_hooks[1]['channels_last'] is False
    assert 'compile' not in cfg
    apply_speed_options(
        cfg, channels_last=True, compile=True, cudnn_benchmark=True)
    assert [h['type'] for h in cfg.custom_hooks].count('FastPathHook') == 1
    assert cfg.custom_hooks[1]['channels_last'] is True
    assert cfg.compile == dict() and cfg.env_cfg.cudnn_benchmark is True
    apply_speed_options(cfg, compile='max-autotune')
    assert cfg.compile == dict(mode='max-autotune')
    with pytest.raises(ValueError, match='compile mode'):
        apply_speed_options(cfg, compile='fastest')
    # a config's own channels_last key and compile dict are kept
    own = Config(dict(channels_last=True, compile=dict(backend='eager')))
    apply_speed_options(own)
    assert own.custom_hooks[0]['channels_last'] is True
    assert own.compile == dict(backend='eager')
    off = Config(dict(fast_path=False))
    apply_speed_options(off)
    assert not off.get('custom_hooks')
    with pytest.raises(ValueError, match='FastPathHook'):
        apply_speed_options(Config(dict(fast_path=False)), channels_last=True)


def test_train_script_flags():
    from tool_scripts import load_tool
    train = load_tool('train.py')
    args = train.parse_args(['c.py'])
    assert (args.amp, args.channels_last, args.compile,
            args.cudnn_benchmark) == (False, None, None, None)
    args = train.parse_args(
        ['c.py', '--amp', '--channels-last', '--compile', '--cudnn-benchmark'])
    assert (args.amp, args.channels_last, args.compile,
            args.cudnn_benchmark) == ('auto', True, 'default', True)
    args = train.parse_args(
        ['c.py', '--amp', 'bf16', '--compile', 'reduce-overhead'])
    assert (args.amp, args.compile) == ('bf16', 'reduce-overhead')


def test_train_script_fast_path_end_to_end(tiny_seg_cfg, tmp_path):
    """2 iterations of the toy baseline through tools/train.py with bf16
    and channels_last. (mmengine's compile is left out here: it took 175 s
    on these shared cores even with backend 'eager'; test_fast_path.py
    compiles ``train_step`` the way ``Runner._maybe_compile`` does.)"""
    from mmengine.model import is_model_wrapper

    from selfkd_seg.engine.fast_path import FastPathHook, is_channels_last
    cfg = tiny_seg_cfg(
        'efficientdet_seg/efficientdet-d0_240it_toy.py',
        max_iters=2,
        work_dir=str(tmp_path / 'run'))
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    from tool_scripts import load_tool
    runner = load_tool('train.py').main([
        path, '--work-dir',
        str(tmp_path / 'run'), '--amp', 'bf16', '--channels-last'
    ])
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    hook = [h for h in runner.hooks if isinstance(h, FastPathHook)]
    assert hook and hook[0].applied['channels_last']
    assert hook[0].applied['silu'] > 0
    assert hook[0].applied['sync_free_losses'] > 0
    assert is_channels_last(model)
    assert type(runner.optim_wrapper).__name__ == 'AutocastOptimWrapper'
    assert 'compile' not in runner.cfg
    scalars = runner.message_hub.log_scalars
    losses = [
        v.current() for k, v in scalars.items()
        if k.startswith('train/') and 'loss' in k
    ]
    assert losses and all(math.isfinite(v) for v in losses)


# ------------------------------------------------------------ data loaders
@pytest.mark.parametrize('name,workers', [('voc07_12_frskd.py', 8),
                                          ('voc12_aug.py', 4),
                                          ('coco_semantic.py', 8),
                                          ('cifar100_nodl.py', 4)])
def test_real_data_loaders_keep_up(name, workers):
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'datasets', name))
    train = cfg.train_dataloader
    assert train.num_workers >= workers
    assert train.persistent_workers is True and train.pin_memory is True
    assert cfg.val_dataloader.pin_memory is True


# ------------------------------------------------------- benchmark scripts
def test_seg_benchmark_on_cpu_with_the_new_flags(tmp_path):
    from selfkd_research.benchmarks import benchmark_frskd_seg as bench
    out = str(tmp_path / 'seg.json')
    result = bench.main([
        '--archs', 'd0', '--skip-flops-table', '--size', '32', '32', '--batch',
        '2', '--steps', '1', '--warmup', '1', '--channels-last',
        '--compare-legacy', '--json', out
    ])
    with open(out) as f:
        report = json.load(f)
    assert [r['name'] for r in report['train']] == [
        'baseline', 'FRSKD', 'baseline (legacy ops)', 'frskd (legacy ops)'
    ]
    assert [r['name']
            for r in report['infer']] == ['baseline', 'exported student']
    for row in report['train'] + report['infer']:
        assert row['img_per_s'] > 0 and row['tflops'] > 0
        assert row['peak_bytes'] is None  # CPU
    assert report['ratios']['flops_ratio'] > 1
    assert set(result) >= {'train', 'infer', 'flops_ratio', 'report'}
    from selfkd_research.benchmarks import benchmark_table as table
    text = table.main([out])
    assert 'channels_last' in text and 'FRSKD' in text


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is present')
@pytest.mark.parametrize('argv,message', [
    (['--device', 'cuda'], 'CUDA is not available'),
    (['--amp', 'fp16'], 'needs --device cuda'),
])
def test_benchmarks_refuse_what_cpu_cannot_do(argv, message, capsys):
    from selfkd_research.benchmarks import benchmark_frskd_seg as bench
    with pytest.raises(SystemExit, match=message):
        bench.main(['--skip-flops-table', '--archs', 'd0'] + argv)


def test_dtype_census_counts_autocast_conversions():
    from selfkd_research.benchmarks.benchmark import (dtype_census,
                                                      format_census)
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(1, 3, 8, 8)

    def run():
        with torch.autocast('cpu', dtype=torch.bfloat16):
            conv(x).float().sum()

    census = dtype_census(run)
    assert census['conversions'].get('float32->bfloat16', 0) >= 2
    assert census['conversions'].get('bfloat16->float32', 0) >= 1
    assert 'bfloat16' in format_census(census)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_seg_benchmark_on_cuda_bf16_channels_last(tmp_path):
    from selfkd_research.benchmarks import benchmark_frskd_seg as bench
    result = bench.main([
        '--device', 'cuda', '--archs', 'd0', '--skip-flops-table', '--size',
        '128', '128', '--batch', '4', '--steps', '2', '--amp', 'bf16',
        '--channels-last', '--check-losses'
    ])
    report = result['report']
    assert all(r.peak_bytes > 0 for r in report.train)
    assert 0.8 < report.ratios['student_over_baseline_infer'] < 1.25

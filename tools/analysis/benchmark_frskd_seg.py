"""FRSKD segmentation cost, measured in one run on the same input.

    python tools/analysis/benchmark_frskd_seg.py [--size 128 128] [--batch 2]
        [--steps 10] [--flops-size 512 512] [--archs d0 d1]
        [--device cpu|cuda] [--amp none|bf16|fp16] [--channels-last]
        [--compile [BACKEND]] [--compile-mode MODE] [--legacy-ops]
        [--check-losses] [--dtype-census] [--compare-legacy]
        [--json OUT.json]

Prints
- params and FLOPs of the d0 and d1 segmentation students and of their
  self-teachers at ``--flops-size`` (FLOPs count multiply-adds, batch 1);
- per model (baseline, FRSKD, exported student) for the first arch of
  ``--archs``: train-step and inference time, images/s, achieved TFLOP/s
  (2 FLOPs per multiply-add; a train step counts 3 forward passes) and, on
  a GPU, peak memory;
- train-step time FRSKD / baseline, next to the FLOPs ratio (student +
  self-teacher) / student at the same input, and inference time exported
  student / baseline (target 1.00: the exported student *is* the baseline
  architecture).
Timings are medians over ``--steps`` interleaved steps after ``--warmup``
steps (synchronised on a GPU), so machine noise hits every model alike.
``--check-losses`` compares the loss terms of the run's precision /
compilation with float32 eager on one fixed batch (relative difference per
term); ``--dtype-census`` counts the ops per dtype and the dtype conversions
of one FRSKD train step; ``--compare-legacy`` also times, interleaved in
the same run, baseline and FRSKD with the ops as they were before
docs/performance.md (same weights), to measure what that change bought.
The logic is in ``selfkd_seg.apis.benchmark``;
docs/performance.md has the measurements.
"""
import argparse
import copy
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS, init_default_scope  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402

from selfkd_seg.apis.benchmark import (  # noqa: E402
    BenchmarkReport, Measurement, RunOptions, add_run_arguments,
    disable_randomness, dtype_census, format_census, format_measurements,
    infer_flops, interleaved_medians, loss_terms, peak_memory, prepare_model,
    relative_differences, run_options, train_flops, train_step)
from selfkd_seg.apis.complexity import complexity_report  # noqa: E402
from selfkd_seg.engine.cli import replace_sync_bn  # noqa: E402
from selfkd_seg.models.utils.distill import strip_distill_only  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAIRS = dict(
    d0=('configs/efficientdet_seg/efficientdet_d0_voc07_12_60e.py',
        'configs/frskd_seg/frskd_efficientdet_d0_voc07_12_60e.py'),
    d1=('configs/efficientdet_seg/efficientdet_d1_voc07_12_60e.py',
        'configs/frskd_seg/frskd_efficientdet_d1_voc07_12_60e.py'))


def build(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    init_default_scope('mmseg')
    replace_sync_bn(cfg.model)
    cfg.model.backbone.pretrained = None
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def fake_batch(batch, size, num_classes, device='cpu'):
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch, 3, *size, generator=gen)
    samples = []
    for _ in range(batch):
        label = torch.randint(0, num_classes, (1, *size), generator=gen)
        s = SegDataSample(gt_sem_seg=PixelData(data=label.to(device)))
        s.set_metainfo(dict(img_shape=size, ori_shape=size, pad_shape=size))
        samples.append(s)
    return inputs, samples


def check_losses(model, opts: RunOptions, inputs, samples) -> dict:
    """Loss terms under ``opts`` vs float32 eager, same weights, one batch
    (dropout and drop-connect off, train-mode BN)."""
    fast = disable_randomness(copy.deepcopy(model))
    ref = copy.deepcopy(fast).to(memory_format=torch.contiguous_format)
    fp32 = RunOptions(device=opts.device)
    reference = loss_terms(ref, inputs.contiguous(), samples, fp32)
    other = loss_terms(fast, inputs, samples, opts,
                       loss_fn=opts.maybe_compile(fast.loss))
    return dict(reference=reference, other=other,
                relative=relative_differences(reference, other))


def print_flops_table(archs, flops_size):
    print(f'== params / FLOPs at 1x3x{flops_size[0]}x{flops_size[1]} '
          '(multiply-adds) ==')
    for arch in archs:
        frskd = build(PAIRS[arch][1])
        rep = complexity_report(frskd, (3, *flops_size))
        print(f"{arch}: student {rep['student_params'] / 1e6:.3f} M params, "
              f"{rep['student_flops'] / 1e9:.2f} GFLOPs | self-teacher "
              f"{rep['self_teacher_params'] / 1e6:.3f} M params, "
              f"{rep['self_teacher_flops'] / 1e9:.2f} GFLOPs | ratio params "
              f"x{rep['params_ratio']:.2f}, FLOPs x{rep['flops_ratio']:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser, batch=2, size=(128, 128), steps=10)
    parser.add_argument(
        '--flops-size', type=int, nargs=2, default=(512, 512))
    parser.add_argument('--archs', nargs='+', default=['d0', 'd1'],
                        choices=sorted(PAIRS))
    parser.add_argument('--skip-flops-table', action='store_true')
    parser.add_argument('--check-losses', action='store_true')
    parser.add_argument('--dtype-census', action='store_true')
    parser.add_argument('--compare-legacy', action='store_true')
    args = parser.parse_args(argv)
    opts = run_options(args)
    size, batch, device = tuple(args.size), args.batch, opts.device

    if not args.skip_flops_table:
        print_flops_table(args.archs, args.flops_size)

    arch = args.archs[0]
    baseline = build(PAIRS[arch][0]).train()
    frskd = build(PAIRS[arch][1]).train()
    # FLOPs at the run's input size, on CPU before any conversion
    rep = complexity_report(frskd, (3, *size))
    student_macs = rep['student_flops']
    frskd_macs = rep['student_flops'] + rep['self_teacher_flops']
    flops_ratio = frskd_macs / student_macs
    legacy = {}
    if args.compare_legacy:
        legacy_opts = copy.copy(opts)
        legacy_opts.legacy_ops = True
        for name, model in (('baseline', baseline), ('frskd', frskd)):
            legacy[name] = prepare_model(copy.deepcopy(model),
                                         legacy_opts).train()
    for model in (baseline, frskd):
        prepare_model(model, opts).train()
    inputs, samples = fake_batch(batch, size, baseline.num_classes, device)
    inputs = opts.inputs(inputs)
    threads = (f', {torch.get_num_threads()} threads'
               if device == 'cpu' else f', {torch.cuda.get_device_name()}')
    shape = f'{batch}x3x{size[0]}x{size[1]}'
    print(f'\n== {arch}: {opts.label}, input {shape}{threads}, median of '
          f'{args.steps} interleaved steps after {args.warmup} ==')

    report = BenchmarkReport(
        script='benchmark_frskd_seg', options=dict(vars(args)),
        shape=shape)
    if args.check_losses:
        check = check_losses(frskd, opts, inputs, samples)
        report.extra['check_losses'] = check
        worst = max(check['relative'].values())
        print('loss terms vs float32 eager (relative difference): ' +
              ', '.join(f'{k} {v:.2e}' for k, v in check['relative'].items())
              + f' -> max {worst:.2e} (target <= 1e-2)')

    opt_b = torch.optim.SGD(baseline.parameters(), lr=1e-3, momentum=0.9)
    opt_f = torch.optim.SGD(frskd.parameters(), lr=1e-3, momentum=0.9)
    loss_b = opts.maybe_compile(baseline.loss)
    loss_f = opts.maybe_compile(frskd.loss)
    scaler_b, scaler_f = opts.grad_scaler(), opts.grad_scaler()

    def step_b():
        train_step(baseline, opt_b, inputs, samples, opts, scaler_b, loss_b)

    def step_f():
        train_step(frskd, opt_f, inputs, samples, opts, scaler_f, loss_f)

    if args.dtype_census:
        census = dtype_census(step_f)
        report.extra['dtype_census'] = {
            k: {str(kk): vv for kk, vv in v.items()}
            for k, v in census.items()}
        print('dtype census of one FRSKD train step:\n' +
              format_census(census))

    candidates = dict(baseline=step_b, frskd=step_f)
    for name, model in legacy.items():
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3,
                                    momentum=0.9)
        loss_fn = opts.maybe_compile(model.loss)
        scaler = opts.grad_scaler()
        candidates[f'{name} (legacy ops)'] = (
            lambda m=model, o=optimizer, f=loss_fn, sc=scaler: train_step(
                m, o, inputs, samples, opts, sc, f))
    train = interleaved_medians(candidates, args.steps, args.warmup, device)
    report.train = [
        Measurement('baseline', train['baseline'], batch,
                    train_flops(student_macs, batch),
                    peak_memory(step_b, device)),
        Measurement('FRSKD', train['frskd'], batch,
                    train_flops(frskd_macs, batch),
                    peak_memory(step_f, device)),
    ]

    # the exported student: FRSKD weights without the self-teacher, in the
    # plain baseline architecture (strict load)
    student = build(PAIRS[arch][0])
    student.load_state_dict(
        {k: v.cpu() for k, v in strip_distill_only(
            frskd.state_dict()).items()}, strict=True)
    prepare_model(student, opts)
    baseline.eval()
    student.eval()
    fwd_b = opts.maybe_compile(lambda x: baseline(x, mode='tensor'))
    fwd_s = opts.maybe_compile(lambda x: student(x, mode='tensor'))

    def infer_b():
        with torch.no_grad(), opts.autocast():
            fwd_b(inputs)

    def infer_s():
        with torch.no_grad(), opts.autocast():
            fwd_s(inputs)

    infer = interleaved_medians(
        dict(baseline=infer_b, student=infer_s), args.steps, args.warmup,
        device)
    report.infer = [
        Measurement('baseline', infer['baseline'], batch,
                    infer_flops(student_macs, batch),
                    peak_memory(infer_b, device)),
        Measurement('exported student', infer['student'], batch,
                    infer_flops(student_macs, batch),
                    peak_memory(infer_s, device)),
    ]
    for name, macs in (('baseline', student_macs), ('frskd', frskd_macs)):
        if name in legacy:
            key = f'{name} (legacy ops)'
            report.train.append(
                Measurement(key, train[key], batch, train_flops(macs, batch),
                            peak_memory(candidates[key], device)))
    report.ratios = dict(
        frskd_over_baseline_train=train['frskd'] / train['baseline'],
        flops_ratio=flops_ratio,
        student_over_baseline_infer=infer['student'] / infer['baseline'])
    for name in legacy:
        report.ratios[f'{name}_legacy_over_fast_train'] = (
            train[f'{name} (legacy ops)'] / train[name])
    print(format_measurements('train step', report.train))
    print(format_measurements('inference (mode=tensor)', report.infer))
    print(f"train step: baseline {train['baseline'] * 1e3:.0f} ms, FRSKD "
          f"{train['frskd'] * 1e3:.0f} ms -> ratio FRSKD / baseline "
          f"{train['frskd'] / train['baseline']:.2f} (FLOPs ratio "
          f"(student + self-teacher) / student {flops_ratio:.2f})")
    print(f"inference: baseline {infer['baseline'] * 1e3:.0f} ms, exported "
          f"student {infer['student'] * 1e3:.0f} ms -> ratio "
          f"{infer['student'] / infer['baseline']:.2f} (target 1.00)")
    for name in legacy:
        print(f'{name}: legacy ops / fast path train step '
              f"{report.ratios[f'{name}_legacy_over_fast_train']:.2f}")
    print(f"throughput: train {batch / train['baseline']:.1f} img/s "
          f"(baseline), {batch / train['frskd']:.1f} img/s (FRSKD); "
          f"inference {batch / infer['baseline']:.1f} img/s")
    report.write_json(args.json)
    return dict(train=train, infer=infer, flops_ratio=flops_ratio,
                report=report)


if __name__ == '__main__':
    main()

"""FRSKD segmentation cost, measured in one run on the same input.

The logic of ``tools/analysis/benchmark_frskd_seg.py`` (its docstring has
the usage). Prints
- params and FLOPs of the d0 and d1 segmentation students and of their
  self-teachers at ``--flops-size`` (FLOPs count multiply-adds, batch 1);
- per model (baseline, FRSKD, exported student) for the first arch of
  ``--archs``: train-step time (``model.train_step`` with the config's
  data preprocessor, padding to ``--size``, and optim wrapper, as
  ``tools/train.py`` runs it; one optimizer update, i.e.
  ``accumulative_counts`` iterations) and inference time, images/s,
  achieved TFLOP/s (2 FLOPs per multiply-add; a train step counts 3 forward
  passes) and, on
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
docs/performance.md has the measurements.
"""
import argparse
import copy

import torch

# yapf: disable
from selfkd_research.benchmarks.benchmark import (BenchmarkReport, RunOptions,
                                                  add_run_arguments,
                                                  build_model, data_batch,
                                                  disable_randomness,
                                                  dtype_census,
                                                  exported_student, fake_batch,
                                                  format_census,
                                                  format_measurements,
                                                  infer_flops, inference_fn,
                                                  interleaved_medians,
                                                  load_cfg, loss_terms,
                                                  measurements, prepare_model,
                                                  relative_differences,
                                                  run_options,
                                                  runner_train_step_fn,
                                                  set_crop_size, train_flops)
# yapf: enable
from selfkd_seg.analysis.complexity import complexity_report

PAIRS = dict(
    d0=('configs/efficientdet_seg/efficientdet-d0_60e_voc0712.py',
        'configs/frskd_seg/frskd_efficientdet-d0_60e_voc0712.py'),
    d1=('configs/efficientdet_seg/efficientdet-d1_60e_voc0712.py',
        'configs/frskd_seg/frskd_efficientdet-d1_60e_voc0712.py'))


def build(config, size=None):
    """The model of ``config`` (relative to the repository root); with
    ``size`` (H, W), ``(cfg, model)`` with the data preprocessor padding to
    ``size`` instead of the config's crop size."""
    if size is None:
        return build_model(load_cfg(config))
    cfg = load_cfg(config)
    set_crop_size(cfg, size)
    return cfg, build_model(cfg)


def check_losses(model, opts: RunOptions, inputs, samples) -> dict:
    """Loss terms under ``opts`` vs float32 eager, same weights, one batch
    (dropout and drop-connect off, train-mode BN)."""
    fast = disable_randomness(copy.deepcopy(model))
    ref = copy.deepcopy(fast).to(memory_format=torch.contiguous_format)
    fp32 = RunOptions(device=opts.device)
    reference = loss_terms(ref, inputs.contiguous(), samples, fp32)
    other = loss_terms(
        fast, inputs, samples, opts, loss_fn=opts.maybe_compile(fast.loss))
    return dict(
        reference=reference,
        other=other,
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
    parser.add_argument('--flops-size', type=int, nargs=2, default=(512, 512))
    parser.add_argument(
        '--archs', nargs='+', default=['d0', 'd1'], choices=sorted(PAIRS))
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
    base_cfg, baseline = build(PAIRS[arch][0], size)
    frskd_cfg, frskd = build(PAIRS[arch][1], size)
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
    cfgs = dict(baseline=base_cfg, frskd=frskd_cfg)
    for model in (baseline, frskd):
        prepare_model(model, opts).train()
    # the training step takes raw images through the data preprocessor;
    # the loss check and inference take normalised float inputs
    data = data_batch('seg', batch, size, baseline.num_classes)
    inputs, samples = fake_batch('seg', batch, size, baseline.num_classes,
                                 device)
    inputs = opts.inputs(inputs)
    threads = (f', {torch.get_num_threads()} threads'
               if device == 'cpu' else f', {torch.cuda.get_device_name()}')
    shape = f'{batch}x3x{size[0]}x{size[1]}'
    print(f'\n== {arch}: {opts.label}, input {shape}{threads}, median of '
          f'{args.steps} interleaved steps after {args.warmup} ==')

    report = BenchmarkReport(
        script='benchmark_frskd_seg', options=dict(vars(args)), shape=shape)
    if args.check_losses:
        check = check_losses(frskd, opts, inputs, samples)
        report.extra['check_losses'] = check
        worst = max(check['relative'].values())
        print('loss terms vs float32 eager (relative difference): ' +
              ', '.join(f'{k} {v:.2e}' for k, v in check['relative'].items()) +
              f' -> max {worst:.2e} (target <= 1e-2)')

    candidates = dict(
        baseline=runner_train_step_fn(baseline, base_cfg, data, opts),
        frskd=runner_train_step_fn(frskd, frskd_cfg, data, opts))
    if args.dtype_census:
        census = dtype_census(candidates['frskd'])
        report.extra['dtype_census'] = {
            k: {
                str(kk): vv
                for kk, vv in v.items()
            }
            for k, v in census.items()
        }
        print('dtype census of one FRSKD train step '
              f"({candidates['frskd'].iterations} iteration(s)):\n" +
              format_census(census))

    for name, model in legacy.items():
        candidates[f'{name} (legacy ops)'] = runner_train_step_fn(
            model, cfgs[name], data, opts)
    # one timed call = one optimizer update (accumulative_counts iterations)
    iters = candidates['frskd'].iterations
    train = interleaved_medians(candidates, args.steps, args.warmup, device)
    report.train = measurements(
        [('baseline', 'baseline', train_flops(student_macs, batch * iters)),
         ('FRSKD', 'frskd', train_flops(frskd_macs, batch * iters))], train,
        candidates, batch * iters, device)

    # the exported student: FRSKD weights without the self-teacher, in the
    # plain baseline architecture (strict load)
    student = exported_student(frskd, build(PAIRS[arch][0]), opts)
    infer_fns = dict(
        baseline=inference_fn(baseline, inputs, opts),
        student=inference_fn(student, inputs, opts))
    infer = interleaved_medians(infer_fns, args.steps, args.warmup, device)
    report.infer = measurements(
        [('baseline', 'baseline', infer_flops(student_macs, batch)),
         ('exported student', 'student', infer_flops(student_macs, batch))],
        infer, infer_fns, batch, device)
    report.train += measurements(
        [(f'{name} (legacy ops)', f'{name} (legacy ops)',
          train_flops(macs, batch * iters))
         for name, macs in (('baseline', student_macs),
                            ('frskd', frskd_macs)) if name in legacy], train,
        candidates, batch * iters, device)
    report.ratios = dict(
        frskd_over_baseline_train=train['frskd'] / train['baseline'],
        flops_ratio=flops_ratio,
        student_over_baseline_infer=infer['student'] / infer['baseline'])
    for name in legacy:
        report.ratios[f'{name}_legacy_over_fast_train'] = (
            train[f'{name} (legacy ops)'] / train[name])
    print(format_measurements('train step', report.train))
    print(format_measurements('inference (mode=tensor)', report.infer))
    print(f"train step ({iters} iteration(s) of batch {batch}, one "
          f"optimizer update): baseline {train['baseline'] * 1e3:.0f} ms, "
          "FRSKD "
          f"{train['frskd'] * 1e3:.0f} ms -> ratio FRSKD / baseline "
          f"{train['frskd'] / train['baseline']:.2f} (FLOPs ratio "
          f"(student + self-teacher) / student {flops_ratio:.2f})")
    print(f"inference: baseline {infer['baseline'] * 1e3:.0f} ms, exported "
          f"student {infer['student'] * 1e3:.0f} ms -> ratio "
          f"{infer['student'] / infer['baseline']:.2f} (target 1.00)")
    for name in legacy:
        print(f'{name}: legacy ops / fast path train step '
              f"{report.ratios[f'{name}_legacy_over_fast_train']:.2f}")
    print(f"throughput: train {batch * iters / train['baseline']:.1f} "
          f"img/s (baseline), {batch * iters / train['frskd']:.1f} img/s "
          "(FRSKD); "
          f"inference {batch / infer['baseline']:.1f} img/s")
    report.write_json(args.json)
    return dict(
        train=train, infer=infer, flops_ratio=flops_ratio, report=report)

"""SFD cost, measured in one run on the same input.

The logic of ``tools/analysis/benchmark_sfd.py`` (its docstring has the
usage). Prints
- train-step time (``model.train_step`` with the config's data
  preprocessor and optim wrapper, as ``tools/train.py`` runs it) of SFD, of
  the plain student and of plain logit KD with the same teacher, as medians of
  interleaved steps after warm-up (machine noise hits all three alike), and
  the ratios SFD / student and SFD / KD, next to a FLOPs-based estimate;
  per model images/s, achieved TFLOP/s and (GPU) peak memory, and the
  inference time of the exported SFD student over the plain student's
  (target 1.00); ``--device``, ``--amp``, ``--channels-last`` and
  ``--compile`` choose how (``selfkd_research.benchmarks.benchmark``);
- the :class:`SelfDistillHook` cost per application (SD and a forced RSD
  flip, median ms), amortised over one CIFAR epoch, and its memory: bytes of
  the snapshot vs bytes of the blended parameters, with a check that the
  hook holds exactly one copy (no second set of tensors, none shared with
  the live parameters);
- parameters of every integrator (LI, AI, RI, 1x1 conv+BN) for the pairs
  resnet32x4 -> resnet8x4, wrn_40_2 -> wrn_16_2, resnet56 -> resnet20, and
  of RI for the segmentation pair (d1 BiFPN 88 -> d0 BiFPN 64).
The teacher is randomly initialised (``allow_random_teacher``): costs do not
depend on its weights.  Absolute times depend on the machine; ratios matter.
"""
import argparse
import copy
import os.path as osp
from types import SimpleNamespace

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import MODELS

# yapf: disable
from selfkd_research.benchmarks.benchmark import (REPO, BenchmarkReport,
                                                  add_run_arguments,
                                                  build_model, data_batch,
                                                  exported_student, fake_batch,
                                                  format_measurements,
                                                  infer_flops, inference_fn,
                                                  interleaved_medians,
                                                  load_cfg, measurements,
                                                  plain_student_cfg,
                                                  prepare_model, run_options,
                                                  runner_train_step_fn,
                                                  train_flops)
# yapf: enable
from selfkd_seg.analysis.complexity import CallableForward, count_flops
from selfkd_seg.engine.hooks import SelfDistillHook

DEFAULT_CONFIG = 'configs/sfd_cls/sfd_resnet32x4_resnet8x4_240e_cifar100.py'
PAIRS = {
    'resnet32x4 -> resnet8x4': 'sfd_resnet32x4_resnet8x4_240e_cifar100.py',
    'wrn_40_2 -> wrn_16_2': 'sfd_wrn-40-2_wrn-16-2_240e_cifar100.py',
    'resnet56 -> resnet20': 'sfd_resnet56_resnet20_240e_cifar100.py',
}
SEG_CONFIG = ('configs/sfd_seg/'
              'sfd_efficientdet-d1_efficientdet-d0_60e_voc0712.py')
INTEGRATORS = ('LayerwiseIntegration', 'AttentionIntegration',
               'ReceptiveFieldIntegration', 'ConvBNConnector')


def kd_model_cfg(cfg) -> dict:
    """Logit KD with the same teacher (RepDistiller's 0.1 CE + 0.9 KD, T=4;
    configs/sfd_cls/kd_*)."""
    model = copy.deepcopy(cfg.model.to_dict())
    model['head']['loss']['loss_weight'] = 0.1
    model.update(
        integrator=None,
        distill=dict(
            loss=None,
            margin=None,
            kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)))
    return model


def build(cfg, model_cfg: dict, seed: int = 0) -> nn.Module:
    """``model_cfg`` of ``cfg`` (random teacher), initialised, in train
    mode."""
    return build_model(cfg, model_cfg, seed, init_weights=True).train()


def flops(fn, owner, inputs: tuple) -> int:
    """Multiply-adds of ``fn(*inputs)`` (``owner``: the module it runs)."""
    return count_flops(CallableForward(fn, owner), inputs)


@torch.no_grad()
def sfd_flops(model, size) -> dict:
    """Multiply-adds at batch 1: student, teacher and integrator forward."""
    model.eval()
    x = torch.randn(1, 3, *size)
    _, post = model.backbone.forward_stages(x)
    t_pre, _ = model.teacher.backbone.forward_stages(x)
    out_size = t_pre[-1].shape[-2:]
    feats = tuple(post[i] for i in model.student_stages)
    result = dict(
        student=flops(lambda t: model(t, mode='tensor'), model, (x, )),
        teacher=flops(lambda t: model.teacher(t, mode='tensor'), model, (x, )),
        integrator=flops(lambda *f: model.integrator(list(f), out_size), model,
                         feats))
    model.train()
    return result


def tensor_bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def tensors_held(obj, seen=None) -> list:
    """Every tensor reachable from ``obj``'s attributes (dicts, lists...)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if torch.is_tensor(obj):
        return [obj]
    if isinstance(obj, dict):
        items = obj.values()
    elif isinstance(obj, (list, tuple, set)):
        items = obj
    elif hasattr(obj, '__dict__') and isinstance(obj, SelfDistillHook):
        items = vars(obj).values()
    else:
        return []
    return [t for item in items for t in tensors_held(item, seen)]


def benchmark_hook(model, reps: int, steps_per_epoch: int,
                   step_time: float) -> dict:
    runner = SimpleNamespace(
        model=model, epoch=1, max_epochs=240, iter=0, max_iters=1, seed=0)
    out = {}
    for name, flip_prob in (('SD', 0.0), ('RSD flip', 1.0)):
        hook = SelfDistillHook(
            tau=(0.995, 0.999), random_flip=True, flip_prob=flip_prob)
        hook.before_train(runner)
        hook.update(runner)  # first call: snapshot only
        out[name] = interleaved_medians(
            dict(update=lambda: hook.update(runner)),
            reps,
            warmup=0,
            device=next(model.parameters()).device.type)['update']
    params = hook.blended_parameters(runner)
    held = tensors_held(hook)
    storages = {t.untyped_storage().data_ptr() for t in held}
    live = {p.untyped_storage().data_ptr() for p in model.parameters()}
    out.update(
        num_params=len(params),
        param_bytes=tensor_bytes(params.values()),
        snapshot_bytes=tensor_bytes(hook._snapshot.values()),
        held_bytes=tensor_bytes(held),
        held_tensors=len(held),
        distinct_storages=len(storages) == len(held),
        shares_live_storage=bool(storages & live),
        max_param_bytes=max(tensor_bytes([p]) for p in params.values()),
        steps_per_epoch=steps_per_epoch,
        step_time=step_time)
    return out


def integrator_params() -> dict:
    table = {}
    for pair, name in PAIRS.items():
        cfg = load_cfg(osp.join('configs/sfd_cls', name))
        student = MODELS.build(cfg.model.backbone)
        teacher = MODELS.build(cfg.model.teacher.backbone)
        s_ch, t_ch = list(student.stage_channels), teacher.stage_channels[-1]
        row = dict(
            channels=f'{s_ch} -> {t_ch}',
            backbone=sum(p.numel() for p in student.parameters()))
        for kind in INTEGRATORS:
            module = MODELS.build(
                dict(type=kind, in_channels=s_ch, out_channels=t_ch))
            row[kind] = sum(p.numel() for p in module.parameters())
        table[pair] = row
    seg = Config.fromfile(osp.join(REPO, SEG_CONFIG)).model
    s_ch, t_ch = seg.neck.out_channels, seg.teacher.neck.out_channels
    ri = MODELS.build(
        dict(
            type='ReceptiveFieldIntegration',
            in_channels=[s_ch],
            out_channels=t_ch))
    table['seg d1 -> d0 (P2)'] = dict(
        channels=f'[{s_ch}] -> {t_ch}',
        ReceptiveFieldIntegration=sum(p.numel() for p in ri.parameters()))
    return table


def print_hook(hook, args, cfg, model_name):
    print(f'\n== SelfDistillHook on {model_name} (student + '
          f"integrator, {hook['num_params']} tensors), median of "
          f'{args.hook_reps} applications ==')
    steps_per_epoch = hook['steps_per_epoch']
    print(
        f"cost per application: SD {hook['SD'] * 1e3:.2f} ms, RSD with "
        f"flip {hook['RSD flip'] * 1e3:.2f} ms; per epoch of "
        f"{steps_per_epoch} steps (batch "
        f'{cfg.train_dataloader.batch_size}) that is '
        f"{hook['RSD flip'] / (steps_per_epoch * hook['step_time']) * 100:.4f}"
        f'% of the epoch at the SFD step time measured at batch '
        f'{args.batch}' + (' (an upper bound: smaller steps)' if args.batch <
                           cfg.train_dataloader.batch_size else ''))
    print(f"memory: blended parameters {hook['param_bytes'] / 2**20:.3f} MiB,"
          f" snapshot {hook['snapshot_bytes'] / 2**20:.3f} MiB; every tensor "
          f"the hook holds: {hook['held_tensors']} tensors, "
          f"{hook['held_bytes'] / 2**20:.3f} MiB (distinct storages: "
          f"{hook['distinct_storages']}, shared with live parameters: "
          f"{hook['shares_live_storage']}) -> " +
          ('exactly one copy' if hook['held_bytes'] == hook['param_bytes']
           and hook['distinct_storages'] and not hook['shares_live_storage']
           else 'NOT one copy'))
    print(f"transient during an RSD update: one flipped kernel at a time "
          f"(largest {hook['max_param_bytes'] / 2**10:.1f} KiB)")


def print_integrator_table(table):
    print('\n== integrator parameters (student stages -> teacher last '
          'stage; backbone = student backbone) ==')
    print(f"{'pair':28s} {'channels':24s} {'backbone':>9s} " +
          ' '.join(f'{k[:-len("Integration")] or k:>11s}' if k.
                   endswith('Integration') else f'{"ConvBN":>11s}'
                   for k in INTEGRATORS))
    for pair, row in table.items():
        backbone = f"{row['backbone'] / 1e6:8.3f}M" if 'backbone' in row \
            else f'{"-":>9s}'
        print(f"{pair:28s} {row['channels']:24s} {backbone} " +
              ' '.join(f'{row[k] / 1e6:10.3f}M' if k in row else f'{"-":>11s}'
                       for k in INTEGRATORS))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser, batch=8, size=(32, 32), steps=10)
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--hook-reps', type=int, default=20)
    parser.add_argument(
        '--skip-integrators',
        action='store_true',
        help='leave out the integrator parameter table')
    parser.add_argument(
        '--epoch-images',
        type=int,
        default=50000,
        help='images per epoch, to amortise the hook (CIFAR-100: 50000)')
    args = parser.parse_args(argv)
    opts = run_options(args)
    size, device = tuple(args.size), opts.device
    # keep init_weights' per-parameter report out of the output
    MMLogger.get_instance('benchmark_sfd', log_level='WARNING')

    cfg = load_cfg(args.config)
    student_cfg = plain_student_cfg(cfg.model.to_dict())
    sfd = build(cfg, copy.deepcopy(cfg.model.to_dict()))
    student = build(cfg, copy.deepcopy(student_cfg))
    kd = build(cfg, kd_model_cfg(cfg))
    fl = sfd_flops(sfd, size)  # on CPU, before any conversion
    for model in (sfd, student, kd):
        prepare_model(model, opts).train()
    num_classes = cfg.model.head.num_classes
    # the train step: the raw batch through the data preprocessor and the
    # config's optim wrapper, as tools/train.py runs it
    data = data_batch('cls', args.batch, size, num_classes)
    inputs, _ = fake_batch('cls', args.batch, size, num_classes, device)
    inputs = opts.inputs(inputs)
    steps = {
        name: runner_train_step_fn(model, cfg, data, opts)
        for name, model in (('student', student), ('kd', kd), ('sfd', sfd))
    }
    iters = steps['sfd'].iterations  # per timed call (accumulative_counts)

    print(f'== {osp.basename(args.config)}: {opts.label}, input '
          f'{args.batch}x3x{size[0]}x{size[1]}, '
          f'{torch.get_num_threads()} threads, median '
          f'of {args.steps} interleaved train steps ==')
    times = interleaved_medians(steps, args.steps, args.warmup, device)
    # training ~ 3 x forward for what trains, 1 x forward for the teacher
    est_sfd = (3 * (fl['student'] + fl['integrator']) +
               fl['teacher']) / (3 * fl['student'])
    est_kd = (3 * fl['student'] + fl['teacher']) / (3 * fl['student'])
    print(f"train step: student {times['student'] * 1e3:.1f} ms, KD "
          f"{times['kd'] * 1e3:.1f} ms, SFD {times['sfd'] * 1e3:.1f} ms")
    print(f"ratios: SFD / student {times['sfd'] / times['student']:.2f}, "
          f"SFD / KD {times['sfd'] / times['kd']:.2f}, KD / student "
          f"{times['kd'] / times['student']:.2f}")
    print(f"FLOPs at 1x3x{size[0]}x{size[1]} (multiply-adds): student "
          f"{fl['student'] / 1e6:.1f} M, teacher {fl['teacher'] / 1e6:.1f} M,"
          f" integrator {fl['integrator'] / 1e6:.1f} M -> estimate (3 x "
          f"trained fwd + teacher fwd): SFD / student {est_sfd:.2f}, KD / "
          f"student {est_kd:.2f}")

    # the exported SFD student (teacher and integrator stripped) vs the
    # plain student, inference
    exported = exported_student(sfd, build(cfg, student_cfg), opts)
    infer = dict(
        student=inference_fn(student, inputs, opts),
        exported=inference_fn(exported, inputs, opts))
    infer_times = interleaved_medians(infer, args.steps, args.warmup, device)
    batch = args.batch
    trained = batch * iters  # images per timed train step
    report = BenchmarkReport(
        script='benchmark_sfd',
        options=dict(vars(args)),
        shape=f'{batch}x3x{size[0]}x{size[1]}')
    report.train = measurements([
        ('student', 'student', train_flops(fl['student'], trained)),
        ('KD', 'kd', (3 * fl['student'] + fl['teacher']) * 2.0 * trained),
        ('SFD', 'sfd',
         (3 *
          (fl['student'] + fl['integrator']) + fl['teacher']) * 2.0 * trained)
    ], times, steps, trained, device)
    report.infer = measurements([
        ('student', 'student', infer_flops(fl['student'], batch)),
        ('exported SFD student', 'exported', infer_flops(fl['student'], batch))
    ], infer_times, infer, batch, device)
    report.ratios = dict(
        sfd_over_student_train=times['sfd'] / times['student'],
        sfd_over_kd_train=times['sfd'] / times['kd'],
        exported_over_student_infer=(infer_times['exported'] /
                                     infer_times['student']))
    print(format_measurements('train step', report.train))
    print(format_measurements('inference (mode=tensor)', report.infer))
    print('inference: exported SFD student / student '
          f"{report.ratios['exported_over_student_infer']:.2f} "
          '(target 1.00)')
    for model in (sfd, student):
        model.train()

    steps_per_epoch = -(-args.epoch_images // cfg.train_dataloader.batch_size)
    hook = benchmark_hook(sfd, args.hook_reps, steps_per_epoch,
                          times['sfd'] / iters)
    print_hook(hook, args, cfg, type(sfd).__name__)

    report.extra['hook'] = hook
    report.write_json(args.json)
    if args.skip_integrators:
        return dict(times=times, flops=fl, hook=hook, report=report)
    table = integrator_params()
    print_integrator_table(table)
    return dict(
        times=times, flops=fl, hook=hook, integrators=table, report=report)

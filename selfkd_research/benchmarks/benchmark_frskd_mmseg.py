"""FRSKD's training overhead on mmseg's own models, in one run.

The logic of ``tools/analysis/benchmark_frskd_mmseg.py`` (its docstring has
the usage). For each family of ``configs/frskd_mmseg/`` (DeepLabV3+ R50,
SegFormer MiT-b0, BiSeNetV2 at the zoo's widths, or the tiny digits
variants with ``--scale tiny``) it builds the baseline and the FRSKD model
from their configs (SyncBN as BN, no weights downloaded, full distillation
weights) and prints:

- parameters of the student and of the self-teacher;
- train-step time: what ``tools/train.py`` runs per update,
  ``model.train_step(data, optim_wrapper)`` with the config's optimizer
  wrapper (:func:`~selfkd_research.benchmarks.benchmark.
  runner_train_step_fn`) on one fixed batch of raw images, medians
  over ``--steps`` interleaved steps after ``--warmup``, baseline and FRSKD
  of a family side by side, so machine noise hits both alike;
- peak memory of a train step: on a GPU ``torch.cuda.max_memory_allocated``;
  on the CPU the weights plus the peak resident set of a train step above
  that of the built model, each model in a fresh process
  (:func:`cpu_peak_bytes`; ``--no-cpu-memory`` skips it);
- the ratios FRSKD / baseline.

The numbers of a CPU run are CPU numbers (labelled so in the output and the
JSON): the ratio is what carries over, not the milliseconds.
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp

import torch

# yapf: disable
from selfkd_research.benchmarks.benchmark import (RunOptions, build_model,
                                                  data_batch,
                                                  interleaved_medians,
                                                  load_cfg, peak_memory,
                                                  runner_train_step_fn,
                                                  set_crop_size)

# yapf: enable

FAMILIES = dict(
    zoo=dict(
        deeplabv3plus=('deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512.py',
                       'frskd_deeplabv3plus_r50-d8_4xb4-20k_voc12aug-512x512'
                       '.py'),
        segformer=('segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
                   'frskd_segformer_mit-b0_8xb2-160k_ade20k-512x512.py'),
        bisenetv2=('bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py',
                   'frskd_bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py'),
        ocrnet=('ocrnet_hr18_4xb4-20k_voc12aug-512x512.py',
                'frskd_ocrnet_hr18_4xb4-20k_voc12aug-512x512.py')),
    tiny=dict(
        deeplabv3plus=('deeplabv3plus_r18-tiny_360it_digits.py',
                       'frskd_deeplabv3plus_r18-tiny_360it_digits.py'),
        segformer=('segformer_mit-tiny_360it_digits.py',
                   'frskd_segformer_mit-tiny_360it_digits.py'),
        bisenetv2=('bisenetv2-tiny_360it_digits.py',
                   'frskd_bisenetv2-tiny_360it_digits.py'),
        ocrnet=('ocrnet_r18-tiny_360it_digits.py',
                'frskd_ocrnet_r18-tiny_360it_digits.py')))


def build(config: str, size, device: str = 'cpu'):
    """The model of ``configs/frskd_mmseg/<config>`` (its data preprocessor
    padding to ``size``), in train mode, with stochastic depth off (the same
    blocks run in every timed step), and the config."""
    cfg = load_cfg(osp.join('configs', 'frskd_mmseg', config))
    if 'drop_path_rate' in cfg.model.backbone:
        cfg.model.backbone.drop_path_rate = 0.
    set_crop_size(cfg, size)
    return build_model(cfg).to(device).train(), cfg


def step_fn(model, cfg, batch: int, size, device: str):
    """One update as ``tools/train.py`` runs it, on a fixed batch."""
    data = data_batch('seg', batch, size, model.num_classes)
    return runner_train_step_fn(model, cfg, data, RunOptions(device=device))


def _status_bytes(key: str) -> int:
    """``VmRSS`` / ``VmHWM`` (peak RSS) of this process from /proc."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f'no {key} in /proc/self/status')


def _cpu_peak_worker(config, batch, size, threads, queue):
    torch.set_num_threads(threads)
    import selfkd_seg  # noqa: F401  (a fresh process registers again)
    model, cfg = build(config, size)
    # the model's tensors, then what training adds: RSS from here on
    weights = sum(t.numel() * t.element_size()
                  for t in list(model.parameters()) + list(model.buffers()))
    start = _status_bytes('VmRSS')
    fn = step_fn(model, cfg, batch, size, 'cpu')
    fn()  # warm-up: one-time allocations, optimizer state
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM to the current RSS
    fn()
    queue.put(weights + _status_bytes('VmHWM') - start)


def cpu_peak_bytes(config: str, batch: int, size, threads: int) -> int:
    """The model's weights and buffers plus the peak RSS of a train step
    (after one warm-up step) above the RSS of the built model, in a fresh
    process: weights, gradients, optimizer state and activations of this
    model, not the interpreter and its imports (the CPU counterpart of a
    GPU's ``max_memory_allocated``). Allocations above 64 KiB are mmap-ed
    (``MALLOC_MMAP_THRESHOLD_``), so freed tensors leave the RSS and it
    follows the live memory, as a GPU's allocated bytes do."""
    ctx = multiprocessing.get_context('spawn')
    queue = ctx.Queue()
    old = os.environ.get('MALLOC_MMAP_THRESHOLD_')
    os.environ['MALLOC_MMAP_THRESHOLD_'] = str(64 * 1024)
    try:
        proc = ctx.Process(
            target=_cpu_peak_worker,
            args=(config, batch, tuple(size), threads, queue))
        proc.start()
    finally:
        if old is None:
            os.environ.pop('MALLOC_MMAP_THRESHOLD_')
        else:
            os.environ['MALLOC_MMAP_THRESHOLD_'] = old
    result = queue.get()
    proc.join()
    return result


def params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def measure_family(name, pair, args, device: str) -> dict:
    (baseline, base_cfg), (frskd, frskd_cfg) = (
        build(c, args.size, device) for c in pair)
    st = params(frskd.self_teacher)
    student = params(frskd) - st
    fns = dict(
        baseline=step_fn(baseline, base_cfg, args.batch, args.size, device),
        frskd=step_fn(frskd, frskd_cfg, args.batch, args.size, device))
    times = interleaved_medians(fns, args.steps, args.warmup, device)
    if device.startswith('cuda'):
        peaks = {k: peak_memory(fn, device) for k, fn in fns.items()}
        memory = 'GPU max_memory_allocated'
    elif args.cpu_memory:
        peaks = {
            k: cpu_peak_bytes(c, args.batch, args.size,
                              torch.get_num_threads())
            for k, c in zip(('baseline', 'frskd'), pair)
        }
        memory = ('CPU: weights + peak RSS rise of a train step over the '
                  'built model, fresh process per model')
    else:
        peaks, memory = dict(baseline=None, frskd=None), None
    row = dict(
        family=name,
        baseline_config=pair[0],
        frskd_config=pair[1],
        student_params=student,
        self_teacher_params=st,
        baseline_s=times['baseline'],
        frskd_s=times['frskd'],
        time_ratio=times['frskd'] / times['baseline'],
        baseline_peak_bytes=peaks['baseline'],
        frskd_peak_bytes=peaks['frskd'],
        memory=memory)
    if peaks['baseline']:
        row['memory_ratio'] = peaks['frskd'] / peaks['baseline']
    return row


def format_row(row: dict) -> str:

    def mib(b):
        return '-' if b is None else f'{b / 2**20:.0f} MiB'

    ratio = row.get('memory_ratio')
    return (f"{row['family']:14s} student {row['student_params'] / 1e6:6.2f}M"
            f" + self-teacher {row['self_teacher_params'] / 1e6:5.2f}M | "
            f"train step {row['baseline_s'] * 1e3:7.0f} -> "
            f"{row['frskd_s'] * 1e3:7.0f} ms (x{row['time_ratio']:.2f}) | "
            f"peak {mib(row['baseline_peak_bytes'])} -> "
            f"{mib(row['frskd_peak_bytes'])}" +
            (f' (x{ratio:.2f})' if ratio else ''))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scale', choices=sorted(FAMILIES), default='zoo')
    parser.add_argument(
        '--families',
        nargs='+',
        default=list(FAMILIES['zoo']),
        choices=list(FAMILIES['zoo']))
    parser.add_argument('--size', type=int, nargs=2, default=(256, 256))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--no-cpu-memory', dest='cpu_memory', action='store_false')
    parser.add_argument('--json', help='write the rows here')
    args = parser.parse_args(argv)
    device = args.device
    where = (f'CPU, {torch.get_num_threads()} threads'
             if device == 'cpu' else torch.cuda.get_device_name())
    print(f'== FRSKD / baseline train step, {args.scale} widths, input '
          f'{args.batch}x3x{args.size[0]}x{args.size[1]}, {where}, median of '
          f'{args.steps} interleaved steps after {args.warmup} ==')
    rows = []
    for name in args.families:
        rows.append(
            measure_family(name, FAMILIES[args.scale][name], args, device))
        print(format_row(rows[-1]), flush=True)
    if rows and rows[0]['memory']:
        print(f"peak memory: {rows[0]['memory']}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(device=where, options=vars(args), rows=rows), f, indent=2)
    return rows

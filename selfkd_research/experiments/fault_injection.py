"""``tools/fault_injection.py``: kill a training run with SIGKILL N times,
resume it, compare the result with an uninterrupted run.

:func:`main` takes the script's arguments and returns its exit status (0:
the final checkpoints and metrics agree, within ``--atol``; 1: they do not).
Every run is ``tools/train.py`` in a subprocess; see the script's help and
docs/reliability.md.
"""
import argparse
import glob
import json
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import threading
import time
from typing import Iterable, Optional

from selfkd_research.experiments.experiment import REPO, last_checkpoint

TRAIN = osp.join(REPO, 'tools', 'train.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Kill a training run with SIGKILL N times, resume it, '
        'compare the result.')
    parser.add_argument('config')
    parser.add_argument('--kills', type=int, default=3)
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the training runs and of the kills')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--ckpt-interval', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--max-delay',
        type=float,
        default=1.0,
        help='random extra seconds before a kill')
    parser.add_argument(
        '--atol',
        type=float,
        default=0.0,
        help='tolerated max |difference| of the weights')
    parser.add_argument('--cfg-options', nargs='+', default=[])
    return parser.parse_args(argv)


def _train_cmd(args, work_dir, resume):
    options = [
        f'randomness.seed={args.seed}', 'randomness.deterministic=True',
        'default_hooks.logger.interval=1',
        f'default_hooks.checkpoint.interval={args.ckpt_interval}',
        *args.cfg_options
    ]
    cmd = [sys.executable, TRAIN, args.config, '--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    return cmd + ['--cfg-options', *options]


def scalars_files(work_dir: str) -> set:
    """The ``vis_data/scalars.json`` of every run (one per start) in
    ``work_dir``."""
    return set(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))


def read_progress(path: Optional[str]) -> dict:
    """What one start of a run has logged so far, from mmengine's
    ``scalars.json`` (``LoggerHook``: a JSON record per logged training
    iteration, with ``loss`` and the global iteration as ``step``, and
    one per validation): ``train_iters`` (the steps of the training
    records), ``last_iter`` (the last of them, None before the first) and
    ``val`` (the last validation's metrics, timings left out)."""
    train, val = [], {}
    if path is not None and osp.isfile(path):
        with open(path) as f:
            lines = f.readlines()
        for line in lines:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # the line being written
                continue
            if 'loss' in rec:
                train.append(rec['step'])
            else:
                val = {
                    k: float(v)
                    for k, v in rec.items() if 'time' not in k and k != 'step'
                }
    return dict(
        train_iters=train, last_iter=train[-1] if train else None, val=val)


def _new_scalars(work_dir: str, before: Iterable[str]) -> Optional[str]:
    """The ``scalars.json`` a start of the run created (None until it has
    one)."""
    new = sorted(scalars_files(work_dir) - set(before))
    return new[-1] if new else None


def _launch(cmd, log_path, env):
    """Start a run; a thread copies its output to ``log_path``.  Returns
    the process, the thread and a function giving the run's progress
    (:func:`read_progress` of the ``scalars.json`` this start writes)."""
    work_dir = cmd[cmd.index('--work-dir') + 1]
    before = scalars_files(work_dir)
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env)

    def pump():
        with open(log_path, 'a') as log:
            for line in proc.stdout:
                log.write(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return proc, thread, lambda: read_progress(_new_scalars(work_dir, before))


def compare_checkpoints(path_a, path_b):
    """(number of tensors, number that differ, max |difference|)."""
    import torch

    from selfkd_seg.compat import safe_torch_load  # allow-lists mmengine types
    a = safe_torch_load(path_a, map_location='cpu')
    b = safe_torch_load(path_b, map_location='cpu')
    tensors = [(a['state_dict'][k], b['state_dict'].get(k))
               for k in a['state_dict']]
    for idx, slot in a.get('optimizer', {}).get('state', {}).items():
        for key, value in slot.items():
            if hasattr(value, 'shape'):
                tensors.append((value, b['optimizer']['state'][idx].get(key)))
    differ, worst = 0, 0.0
    for x, y in tensors:
        if y is None or x.shape != y.shape:
            differ += 1
            worst = float('inf')
        elif not torch.equal(x, y):
            differ += 1
            worst = max(worst, (x.double() - y.double()).abs().max().item())
    return len(tensors), differ, worst


def main(argv=None):
    args = parse_args(argv)
    name = osp.splitext(osp.basename(args.config))[0]
    root = args.work_dir or osp.join('work_dirs', f'fault_injection_{name}')
    ref_dir, run_dir = osp.join(root, 'reference'), osp.join(root, 'faulty')
    for folder in (ref_dir, run_dir):
        if last_checkpoint(folder, missing_ok=True) is not None:
            sys.exit(f'{folder} already holds a run; use a new --work-dir')
        os.makedirs(folder, exist_ok=True)
    env = dict(
        os.environ,
        OMP_NUM_THREADS=str(args.threads),
        MKL_NUM_THREADS=str(args.threads))
    rng = random.Random(args.seed)

    start = time.time()
    proc, thread, ref_progress = _launch(
        _train_cmd(args, ref_dir, resume=False),
        osp.join(root, 'reference.log'), env)
    if proc.wait() != 0:
        sys.exit(f'the reference run failed, see {root}/reference.log')
    thread.join()
    ref_seconds = time.time() - start
    ref_state = ref_progress()
    total = len(ref_state['train_iters'])
    print(f'reference: {total} logged iterations in {ref_seconds:.1f} s')

    # kill moments: distinct random iterations of the whole run, in order
    targets = sorted(rng.sample(range(1, total), min(args.kills, total - 1)))
    kills = []
    start = time.time()
    for cycle in range(args.kills + 1):
        proc, thread, progress = _launch(
            _train_cmd(args, run_dir, resume=True),
            osp.join(root, 'faulty.log'), env)
        if cycle == len(targets):
            break
        target = targets[cycle]
        delay = rng.uniform(0, args.max_delay)
        while (progress()['last_iter'] or 0) < target and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(delay)
        if proc.poll() is not None:
            print(f'kill {cycle + 1}: the run had already finished')
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        thread.join()
        state = progress()
        kills.append(state['last_iter'])
        print(f'kill {cycle + 1}: SIGKILL {delay:.2f} s after logging '
              f'iteration {state["last_iter"]} ({len(state["train_iters"])} '
              'iterations trained by this restart)')
    if proc.wait() != 0:
        sys.exit(f'the resumed run failed, see {root}/faulty.log')
    thread.join()
    faulty_seconds = time.time() - start
    state = progress()

    ref_ckpt, run_ckpt = last_checkpoint(ref_dir), last_checkpoint(run_dir)
    count, differ, worst = compare_checkpoints(ref_ckpt, run_ckpt)
    ref_metrics, run_metrics = ref_state['val'], state['val']
    same_metrics = ref_metrics == run_metrics
    print(f'kills survived: {len(kills)} (after logged iterations {kills})')
    print(f'wall time: reference {ref_seconds:.1f} s, faulty run with '
          f'restarts {faulty_seconds:.1f} s')
    print(f'final checkpoints: {ref_ckpt} vs {run_ckpt}')
    print(f'tensors compared (weights, buffers, optimizer state): {count}; '
          f'different: {differ}; max |difference|: {worst:g}')
    print(f'reference metrics: {ref_metrics}')
    print(f'resumed metrics:   {run_metrics}')
    identical = differ == 0 and same_metrics
    ok = worst <= args.atol and (same_metrics or args.atol > 0)
    print(
        'RESULT:', 'IDENTICAL' if identical else
        ('WITHIN TOLERANCE' if ok else 'DIFFERENT'))
    return 0 if ok else 1

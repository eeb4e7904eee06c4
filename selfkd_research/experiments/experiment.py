"""Equal-budget comparisons of distillation methods against their baseline.

Shared by ``tools/toy_experiment.py``
(:mod:`selfkd_research.experiments.toy_experiment`),
``tools/digits_experiment.py``
(:mod:`selfkd_research.experiments.digits_experiment`) and
``tools/fault_injection.py``: running a tool in a subprocess with its output
in a log file, budget overrides that keep a recipe's shape when its length
changes, reading a finished run's metrics and checkpoint
(:func:`last_checkpoint`, from ``selfkd_seg.engine.checkpoint_io``), and the
mean +- std table. No training in this module.
"""
import glob
import json
import os.path as osp
import re
import statistics
import subprocess
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple

# the repository: the tools run with it as working directory
from selfkd_research import REPO
# the checkpoint a finished run's ``last_checkpoint`` file names (the
# package's one reader of that pointer)
from selfkd_seg.engine.checkpoint_io import last_checkpoint  # noqa: F401


def run_tool(cmd: Sequence[str],
             log_file: str,
             env: dict,
             progress: Optional[str] = None,
             heartbeat: float = 10.0) -> None:
    """Run a tool in a subprocess (in :data:`REPO`), its output to a log
    file; fail loudly with the log's tail.

    With ``progress`` (a label, e.g. ``'FRSKD seed 0'``) the run also shows
    on the console while it runs: one line per logged training or
    validation step of mmengine's logger (iteration / total, loss, ETA,
    the val metric; :func:`progress_line`), and a line every ``heartbeat``
    seconds when the tool prints nothing (start-up, validation), so a
    working run never looks hung.
    """
    if progress is None:
        with open(log_file, 'w') as log:
            proc = subprocess.run(
                cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        returncode = proc.returncode
    else:
        returncode = _run_streaming(cmd, log_file, env, progress, heartbeat)
    if returncode != 0:
        with open(log_file) as f:
            tail = ''.join(f.readlines()[-30:])
        raise RuntimeError(f'{" ".join(cmd)} failed (exit {returncode}),'
                           f' log {log_file}:\n{tail}')


_PRINT_LOCK = threading.Lock()


def say(text: str) -> None:
    """Print one whole line now (runs in parallel threads share stdout)."""
    with _PRINT_LOCK:
        print(text, flush=True)


_STEP = re.compile(r'(Iter|Epoch)\((train|val)\)\s*((?:\[\s*\d+\])?)'
                   r'\s*\[\s*(\d+)/(\d+)\]')
_FIELD = re.compile(r'(?<![\w/.])(eta|loss|mIoU|aAcc|accuracy/top1|'
                    r'self_teacher/mIoU): (\S+)')


def progress_line(line: str) -> Optional[str]:
    """The short form of one of mmengine's logger lines, or ``None`` for a
    line that is not a training/validation step: ``iter 40/240  loss 0.4923
    eta 0:00:12``, ``epoch 2 iter 10/50 ...``, ``val mIoU 91.12``."""
    match = _STEP.search(line)
    if match is None:
        return None
    unit, mode, epoch, cur, total = match.groups()
    fields = dict(_FIELD.findall(line))
    if mode == 'val':
        metrics = [
            f'{k} {fields[k]}'
            for k in ('mIoU', 'aAcc', 'accuracy/top1', 'self_teacher/mIoU')
            if k in fields
        ]
        # the logger's per-interval val lines carry no metric: skip them
        return 'val ' + '  '.join(metrics) if metrics else None
    parts = []
    if unit == 'Epoch':
        parts.append(f'epoch {epoch.strip("[] ")}')
    parts.append(f'iter {cur}/{total}')
    for key in ('loss', 'eta'):
        if key in fields:
            parts.append(f'{key} {fields[key]}')
    return '  '.join(parts)


def _run_streaming(cmd, log_file, env, label, heartbeat) -> int:
    start = time.monotonic()
    state = dict(last=start, seen='starting')

    def pump(stream, log):
        for line in stream:
            log.write(line)
            short = progress_line(line)
            if short is not None:
                log.flush()
                state.update(last=time.monotonic(), seen=short)
                say(f'  [{label}] {short}')

    with open(log_file, 'w') as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1)
        reader = threading.Thread(
            target=pump, args=(proc.stdout, log), daemon=True)
        reader.start()
        while True:
            try:
                proc.wait(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                now = time.monotonic()
                if now - state['last'] >= heartbeat:
                    state['last'] = now
                    say(f'  [{label}] ... running, {now - start:.0f} s '
                        f'(last: {state["seen"]})')
        reader.join()
    return proc.returncode


def seg_budget_options(max_iters: int,
                       distill_schedule: bool = False,
                       warmup_iters: int = 50,
                       val_points: int = 1,
                       distill_warmup: float = 2 / 3) -> List[str]:
    """``--cfg-options`` for an iteration-based segmentation recipe.

    FRSKD's shape as fractions of training: lr x0.1 at 2/3 (epoch 40 of
    60), distillation weights 0 for the first ``distill_warmup`` (2/3) and
    the ramp over the rest (``custom_hooks.0`` must be the
    ``DistillWeightScheduleHook``). ``val_points`` validations, evenly
    spaced, the last at the end (a curve of the val metrics).
    """
    n = int(max_iters)
    if n < 3:
        raise ValueError(f'max_iters must be >= 3, got {n}')
    if not 0 <= distill_warmup < 1:
        raise ValueError(f'distill_warmup must be in [0, 1), got '
                         f'{distill_warmup}')
    # ceil: the loop also validates at max_iters, so no extra point
    val_interval = -(-n // max(1, min(int(val_points), n)))
    opts = [
        f'train_cfg.max_iters={n}', f'train_cfg.val_interval={val_interval}',
        f'default_hooks.checkpoint.interval={n}',
        f'param_scheduler.0.end={min(warmup_iters, n // 3)}',
        f'param_scheduler.1.milestones=[{2 * n // 3}]',
        f'default_hooks.logger.interval={max(1, min(50, n // 6))}'
    ]
    if distill_schedule:
        warmup = int(round(distill_warmup * n)) if distill_warmup != 2 / 3 \
            else 2 * n // 3
        opts += [
            f'custom_hooks.0.warmup={warmup}',
            f'custom_hooks.0.ramp={n - warmup}'
        ]
    return opts


def cls_budget_options(max_epochs: int) -> List[str]:
    """``--cfg-options`` for an epoch-based classification recipe: lr x0.1
    at 1/2 and 3/4 of training (FRSKD's 100/150 of 200 epochs)."""
    e = int(max_epochs)
    if e < 2:
        raise ValueError(f'max_epochs must be >= 2, got {e}')
    return [
        f'train_cfg.max_epochs={e}', f'train_cfg.val_interval={e}',
        f'default_hooks.checkpoint.interval={e}',
        f'param_scheduler.milestones=[{max(1, e // 2)},{max(1, 3 * e // 4)}]'
    ]


def read_scalars(work_dir: str) -> List[dict]:
    """Every record of a run's newest ``vis_data/scalars.json`` (mmengine's
    scalar log: one JSON object per logged training interval or
    validation), in order."""
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no vis_data/scalars.json under {work_dir}: '
                                'did the run start?')
    with open(files[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_run(work_dir: str) -> Tuple[List[float], dict]:
    """Per-iteration train times and the last validation record of a run
    (mmengine's ``vis_data/scalars.json``)."""
    iter_times, val = [], {}
    for rec in read_scalars(work_dir):
        if 'mIoU' in rec or 'accuracy/top1' in rec:
            val = rec
        elif 'time' in rec and 'loss' in rec:
            iter_times.append(rec['time'])
    if not val:
        raise ValueError(f'the scalars.json under {work_dir} has no '
                         'validation metric (mIoU or accuracy/top1)')
    return iter_times, val


def read_curves(work_dir: str) -> dict:
    """The lead curves of a run (``vis_data/scalars.json``): per logged
    training interval ``(iter, self_teacher.ce_lead)``, per validation
    ``(iter, mIoU, self_teacher/mIoU)`` (``None`` where not logged)."""
    train, val = [], []
    try:
        records = read_scalars(work_dir)
    except FileNotFoundError:
        records = []
    for rec in records:
        if 'mIoU' in rec:
            val.append(
                (rec.get('step'), rec['mIoU'], rec.get('self_teacher/mIoU')))
        elif 'self_teacher.ce_lead' in rec:
            train.append(
                (rec.get('iter',
                         rec.get('step')), rec['self_teacher.ce_lead']))
    return dict(train_ce_lead=train, val=val)


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and population standard deviation (the seed spread)."""
    return statistics.mean(values), statistics.pstdev(values)


def summary_table(results: Dict[Tuple[str, str, int], dict],
                  tasks: Sequence[Tuple[str, str, Sequence[str]]],
                  seeds: Sequence[int]) -> Tuple[List[str], dict]:
    """Markdown rows, one per (task, method), and the numbers behind them.

    Args:
        results: ``(task, method, seed) -> dict(metric=..., iter_time=...)``.
        tasks: ``(task, metric name, methods)``, the first method being the
            baseline of that task.
        seeds: Seeds to report (every method ran with each).

    The gain is ``mean(method) - mean(baseline)``; it is called beyond the
    seed spread when it exceeds both methods' standard deviations. The cost
    ratio is the mean seconds per training iteration over the baseline's.
    """
    lines = [
        '| task (metric) | method | ' + ' | '.join(f'seed {s}'
                                                   for s in seeds) +
        ' | mean +- std | gain | gain > seed std | train s/iter vs '
        'baseline |', '|---|---|' + '---|' * len(seeds) + '---|---|---|---|'
    ]
    summary = {}
    for task, metric, methods in tasks:
        baseline = methods[0]
        base_vals = [results[(task, baseline, s)]['metric'] for s in seeds]
        base_mean, base_std = mean_std(base_vals)
        base_time = statistics.mean(results[(task, baseline, s)]['iter_time']
                                    for s in seeds)
        for method in methods:
            rows = [results[(task, method, s)] for s in seeds]
            vals = [r['metric'] for r in rows]
            m, sd = mean_std(vals)
            cost = statistics.mean(r['iter_time'] for r in rows) / base_time
            gain = m - base_mean
            beyond = gain > max(sd, base_std)
            summary[f'{task}/{method}'] = dict(
                values=vals,
                mean=m,
                std=sd,
                gain=gain,
                beyond_seed_std=beyond,
                cost_ratio=cost)
            if method == baseline:
                gain_txt, beyond_txt = '', ''
            else:
                gain_txt = f'{gain:+.2f}'
                beyond_txt = 'yes' if beyond else 'no'
            lines.append(
                f'| {task} ({metric}) | {method} | ' +
                ' | '.join(f'{v:.2f}' for v in vals) +
                f' | {m:.2f} +- {sd:.2f} | {gain_txt} | {beyond_txt} | '
                f'x{cost:.2f} |')
    return lines, summary

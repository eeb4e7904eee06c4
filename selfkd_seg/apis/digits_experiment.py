"""``tools/digits_experiment.py``: does distillation beat its baseline on
real images? Segmentation and classification on handwritten digits, every
method at equal budget, for every seed.

:func:`main` takes the script's arguments, writes ``WORK_DIR/results.md``
and ``results.json`` and returns the summary (see the script's help for the
runs and the budget). Every run is ``tools/train.py`` in a subprocess
(:func:`~selfkd_seg.apis.experiment.run_tool`).
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from selfkd_seg.apis.experiment import (cls_budget_options, last_checkpoint,
                                        read_run, run_tool,
                                        seg_budget_options, summary_table)

CONFIGS = osp.join('configs', 'digits')
SEG_RUNS = (('baseline', 'efficientdet_d0_digits.py'),
            ('FRSKD', 'frskd_d0_digits.py'))
CLS_RUNS = (('baseline', 'wrn-10-1_digits.py'),
            ('FRSKD', 'frskd_wrn-10-1_digits.py'),
            ('SFD', 'sfd_wrn-16-2_wrn-10-1_digits.py'))
CLS_TEACHER = 'wrn-16-2_digits.py'
FULL = dict(seg_iters=360, cls_epochs=14)
QUICK = dict(seg_iters=60, cls_epochs=2)
# 2 renderings of each of the 1,347 train source digits (2,694 images): the
# classification budget of 3 seeds x 3 methods fits 2 CPU cores
CLS_TRAIN_PER_DIGIT = 2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Does distillation beat its baseline on real images? The '
        'digits experiment.')
    parser.add_argument('--work-dir', default='work_dirs/digits')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument('--seeds', type=int, nargs='+', default=None,
                        help='default: 0 1 2 (0 with --quick)')
    parser.add_argument('--tasks', nargs='+', choices=('seg', 'cls'),
                        default=['seg', 'cls'])
    parser.add_argument('--jobs', type=int, default=2,
                        help='trainings run at the same time (default 2)')
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: one seed, tiny budgets')
    parser.add_argument('--seg-iters', type=int, default=None,
                        help=f"segmentation iterations (default "
                        f"{FULL['seg_iters']}, quick {QUICK['seg_iters']})")
    parser.add_argument('--cls-epochs', type=int, default=None,
                        help=f"classification epochs (default "
                        f"{FULL['cls_epochs']}, quick {QUICK['cls_epochs']})")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    args.seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    args.seg_iters = args.seg_iters or budget['seg_iters']
    args.cls_epochs = args.cls_epochs or budget['cls_epochs']
    if args.seg_iters < 3 or args.cls_epochs < 2:
        parser.error('--seg-iters must be >= 3 and --cls-epochs >= 2')
    return args


def train(task, name, config, seed, args, env, extra=()):
    tag = f'{task}_{name.lower()}_seed{seed}'
    budget = (seg_budget_options(args.seg_iters, name == 'FRSKD')
              if task == 'seg' else cls_budget_options(args.cls_epochs))
    work_dir = osp.join(args.work_dir, tag)
    cmd = [
        sys.executable, 'tools/train.py',
        osp.join(CONFIGS, config), '--work-dir', work_dir, '--cfg-options',
        f'randomness.seed={seed}', *budget, *extra
    ]
    start = time.perf_counter()
    run_tool(cmd, osp.join(args.work_dir, f'{tag}.log'), env)
    wall = time.perf_counter() - start
    iter_times, val = read_run(work_dir)
    steady = iter_times[1:] or iter_times  # the first window has start-up
    metric = val.get('mIoU', val.get('accuracy/top1'))
    print(f'[digits] {task} {name} seed {seed}: {metric:.2f} '
          f'({wall:.0f} s)', flush=True)
    return dict(metric=metric, iter_time=statistics.median(steady),
                wall=wall, checkpoint=last_checkpoint(work_dir))


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    data_root = osp.abspath(args.data_root)
    env = dict(os.environ, SELFKD_DIGITS_DATA=data_root)
    started = time.perf_counter()

    run_tool([
        sys.executable, 'tools/dataset_converters/make_digits.py', data_root,
        '--cls-train-per-digit', str(CLS_TRAIN_PER_DIGIT)
    ], osp.join(args.work_dir, 'make_digits.log'), env)
    print(f'[digits] data: {data_root}', flush=True)

    # --jobs trainings at a time, each with its share of the cores (tiny
    # models use 2 threads poorly: 2 one-thread runs did ~1.3x the work of
    # one two-thread run here); SFD runs start once the teacher is trained.
    env['OMP_NUM_THREADS'] = str(max(1, (os.cpu_count() or 1) // args.jobs))
    results, teacher = {}, {}

    def job(task, name, config, seed):
        extra = []
        if name == 'SFD':
            # SFD loads the teacher's state_dict from its training checkpoint
            extra = [f"model.teacher_ckpt={teacher['checkpoint']}"]
        results[(task, name, seed)] = train(task, name, config, seed, args,
                                            env, extra)

    first, after_teacher = [], []
    if 'cls' in args.tasks:
        first.append(('cls', 'teacher', CLS_TEACHER, 0))
    for seed in args.seeds:  # longest first within each group
        if 'cls' in args.tasks:
            first.append(('cls', 'FRSKD', CLS_RUNS[1][1], seed))
        if 'seg' in args.tasks:
            first += [('seg', name, config, seed)
                      for name, config in SEG_RUNS[::-1]]
        if 'cls' in args.tasks:
            first.append(('cls', 'baseline', CLS_RUNS[0][1], seed))
            after_teacher.append(('cls', 'SFD', CLS_RUNS[2][1], seed))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(job, *j) for j in first]
        if after_teacher:
            futures[0].result()  # the teacher
            teacher.update(results[('cls', 'teacher', 0)])
            futures += [pool.submit(job, *j) for j in after_teacher]
        for future in futures:
            future.result()  # re-raise a failed run

    tasks = [(task, metric, [name for name, _ in runs])
             for task, metric, runs in (('seg', 'mIoU', SEG_RUNS),
                                        ('cls', 'top-1', CLS_RUNS))
             if task in args.tasks]
    lines, summary = summary_table(results, tasks, args.seeds)
    minutes = (time.perf_counter() - started) / 60
    machine = (f'{platform.machine()}, {os.cpu_count()} CPU cores, '
               f'Python {platform.python_version()}')
    header = [
        f'Digits experiment: seeds {args.seeds}, segmentation '
        f'{args.seg_iters} iterations (batch 8, 96 crops), classification '
        f'{args.cls_epochs} epochs (batch 64)'
        + (', teacher WRN-16-2 top-1 '
           f"{results[('cls', 'teacher', 0)]['metric']:.2f}"
           if 'cls' in args.tasks else '') + '.',
        f'Command: python tools/digits_experiment.py '
        f'{" ".join(argv if argv is not None else sys.argv[1:])}'.rstrip(),
        f'Machine: {machine}; {minutes:.1f} min in all.', ''
    ]
    text = '\n'.join(header + lines) + '\n'
    print('\n' + text)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(summary=summary, minutes=minutes, machine=machine,
                       seeds=args.seeds, seg_iters=args.seg_iters,
                       cls_epochs=args.cls_epochs), f, indent=1)
    return summary


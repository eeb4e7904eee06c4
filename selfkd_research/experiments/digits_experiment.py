"""``tools/digits_experiment.py``: does distillation beat its baseline on
real images? Segmentation and classification on handwritten digits, every
method at equal budget, for every seed.

:func:`main` takes the script's arguments, writes ``WORK_DIR/results.md``
and ``results.json`` and returns the summary (see the script's help for the
runs and the budget). Every run is ``tools/train.py`` in a subprocess
(:func:`~selfkd_research.experiments.experiment.run_tool`).
"""
import argparse
import json
import os
import os.path as osp
import platform
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from selfkd_research import REPO
# yapf: disable
from selfkd_research.experiments.experiment import (cls_budget_options,
                                                    last_checkpoint, mean_std,
                                                    read_curves, read_run,
                                                    run_tool, say,
                                                    seg_budget_options,
                                                    summary_table)

# yapf: enable

# the digits configs live in their algorithms' folders of configs/
# (<method>_<model>_<schedule>_digits.py); the tables below name them by
# file name, :func:`config_file` finds the folder
CONFIG_DIRS = ('efficientdet_seg', 'frskd_seg', 'frskd_seg_official',
               'frskd_cls', 'sfd_cls')
# segmentation methods: (config, extra --cfg-options, distillation warm-up
# as a fraction of training)
SEG_METHODS = {
    'baseline': ('efficientdet-d0_360it_digits.py', (), None),
    'FRSKD': ('frskd_efficientdet-d0_360it_digits.py', (), 2 / 3),
    'FRSKD+gate': ('frskd-gate_efficientdet-d0_360it_digits.py', (), 2 / 3),
    'FRSKD+held-out-gate':
    ('frskd-heldoutgate_efficientdet-d0_360it_digits.py', (), 2 / 3),
    # KD only, on every labelled pixel, from the val-lead gate
    'KD+held-out-gate':
    ('frskd-heldoutgate_efficientdet-d0_360it_digits.py',
     ('model.distill.beta=0.0', 'model.gate.pixel=None'), 2 / 3),
}
DEFAULT_SEG_METHODS = ('baseline', 'FRSKD', 'FRSKD+gate')
# the segmentation models: the narrowed EfficientDet-d0 of
# configs/efficientdet_seg/ and configs/frskd_seg/ (every method above) and
# tiny instances of three of mmseg's own model families
# (configs/frskd_mmseg/<stem>_360it_digits.py, FRSKDEncoderDecoder)
DEFAULT_SEG_MODEL = 'efficientdet-d0'
MMSEG_CONFIGS = osp.join('configs', 'frskd_mmseg')
MMSEG_MODELS = {
    'deeplabv3plus': 'deeplabv3plus_r18-tiny',
    'segformer': 'segformer_mit-tiny',
    'bisenetv2': 'bisenetv2-tiny',
}
SEG_MODELS = (DEFAULT_SEG_MODEL, ) + tuple(MMSEG_MODELS)
# method -> config prefix of an mmseg family (the val-lead gate: the train
# CE lead stayed closed in every digits run, docs/frskd_regimes.md)
MMSEG_METHODS = {
    'baseline': '',
    'FRSKD': 'frskd_',
    'FRSKD+held-out-gate': 'frskd-heldoutgate_',
    'KD+held-out-gate': 'frskd-heldoutgate_',
    'KD only': 'frskd_',
    # FRSKD with CWD / DIST as its soft-label term (issue 32; SegFormer)
    'FRSKD-CWD': 'frskd-cwd_',
    'FRSKD-DIST': 'frskd-dist_',
}
DEFAULT_MMSEG_METHODS = ('baseline', 'FRSKD', 'FRSKD+held-out-gate')
# teacher-student methods on the SegFormer family (issue 32): the student
# segformer_mit-tiny_360it_digits.py distilled from the larger
# TS_TEACHER_CONFIG, trained first (seed 0, TS_TEACHER_FACTOR x
# --seg-iters), for the whole training (no warm-up)
TS_CONFIGS = osp.join('configs', 'sfd_seg')
TS_METHODS = {
    'KD': 'kd_',
    'CWD': 'cwd_',
    'DIST': 'dist_',
    'SFD': 'sfd_',
    'SFD+CWD': 'sfd-cwd_',
    'SFD+DIST': 'sfd-dist_',
}
TS_MODEL = 'segformer'
TS_TEACHER_CONFIG = osp.join(TS_CONFIGS,
                             'segformer-bifpn_mit-tiny_360it_digits.py')
TS_TEACHER_FACTOR = 2
# the issue-20 ablations of FRSKD (one regime, --ablation-regime)
SEG_ABLATIONS = {
    'KD only': ('frskd_efficientdet-d0_360it_digits.py',
                ('model.distill.beta=0.0', ), 2 / 3),
    'AT only': ('frskd_efficientdet-d0_360it_digits.py',
                ('model.distill.alpha=0.0', ), 2 / 3),
    'beta 10': ('frskd_efficientdet-d0_360it_digits.py',
                ('model.distill.beta=10.0', ), 2 / 3),
    'warm-up 1/3': ('frskd_efficientdet-d0_360it_digits.py', (), 1 / 3),
    # detached: the student's levels only the self-teacher reads get no
    # gradient, so DDP must look for unused parameters
    'detached': ('frskd_efficientdet-d0_360it_digits.py',
                 ('model.self_teacher.detach_input=True',
                  'model_wrapper_cfg.find_unused_parameters=True'), 2 / 3),
}
# scratch: the budget of the first digits table; converged: 4x longer;
# pretrained: the scratch budget from a backbone pretrained as a digit
# classifier; imagenet: the FRSKD paper's regime (issue 30), an
# ImageNet-pretrained EfficientNet-Lite0 trained --imagenet-iters
# iterations with the paper's schedule shape, every method on the same 540
# training scenes (60 held out for the held-out gate)
REGIMES = ('scratch', 'converged', 'pretrained', 'imagenet')
# the imagenet regime: model -> method -> (config, --cfg-options)
IMAGENET_MODELS = {
    'efficientdet-d0': {
        'baseline': ('efficientdet-d0-lite0_900it_digits.py', ()),
        'FRSKD': ('frskd_efficientdet-d0-lite0_900it_digits.py', ()),
        'FRSKD+held-out-gate':
        ('frskd-heldoutgate_efficientdet-d0-lite0_900it_digits.py', ()),
        'KD only': ('frskd_efficientdet-d0-lite0_900it_digits.py',
                    ('model.distill.beta=0.0', )),
        # CWD / DIST as the soft-label term (issue 32)
        'FRSKD-CWD': ('frskd-cwd_efficientdet-d0-lite0_900it_digits.py', ()),
        'FRSKD-DIST': ('frskd-dist_efficientdet-d0-lite0_900it_digits.py', ()),
    },
    # the FRSKD authors' network (FRSKDSegBiFPN + FRSKDSegHead)
    'official-d0': {
        'baseline': ('efficientdet-official-d0-lite0_900it_digits.py', ()),
        'FRSKD': ('frskd_efficientdet-official-d0-lite0_900it_digits.py', ()),
        'KD only': ('frskd_efficientdet-official-d0-lite0_900it_digits.py',
                    ('model.distill.beta=0.0', )),
    },
    # an mmseg family on the same backbone (FRSKDEncoderDecoder)
    'segformer-head': {
        'baseline':
        ('configs/frskd_mmseg/segformer-head_lite0_900it_digits.py', ()),
        'FRSKD':
        ('configs/frskd_mmseg/frskd_segformer-head_lite0_900it_digits.py', ()),
        'KD only':
        ('configs/frskd_mmseg/frskd_segformer-head_lite0_900it_digits.py',
         ('model.distill.beta=0.0', )),
    },
}
DEFAULT_IMAGENET_METHODS = {
    'efficientdet-d0': ('baseline', 'FRSKD', 'FRSKD+held-out-gate', 'KD only'),
    'official-d0': ('baseline', 'FRSKD'),
    'segformer-head': ('baseline', 'FRSKD'),
}
IMAGENET_ITERS = 600
# validations per imagenet run: the baseline's plateau and the lead curve
IMAGENET_VAL_POINTS = 6
SEG_MODELS += tuple(m for m in IMAGENET_MODELS if m != DEFAULT_SEG_MODEL)
PRETRAIN_CONFIG = 'efficientnet-b0_12e_digits.py'
CLS_RUNS = (('baseline', 'wrn-10-1_14e_digits.py'),
            ('FRSKD', 'frskd_wrn-10-1_14e_digits.py'),
            ('SFD', 'sfd_wrn-16-2_wrn-10-1_14e_digits.py'))
CLS_TEACHER = 'wrn-16-2_14e_digits.py'
FULL = dict(seg_iters=360, cls_epochs=14)
QUICK = dict(seg_iters=60, cls_epochs=2)
CONVERGED_FACTOR = 4
# validations per seg run: the points of the val lead curve
SEG_VAL_POINTS = 3
# 2 renderings of each of the 1,347 train source digits (2,694 images): the
# classification budget of 3 seeds x 3 methods fits 2 CPU cores
CLS_TRAIN_PER_DIGIT = 2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Does distillation beat its baseline on real images? The '
        'digits experiment.')
    parser.add_argument('--work-dir', default='work_dirs/digits')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=None,
        help='default: 0 1 2 (0 with --quick)')
    parser.add_argument(
        '--tasks', nargs='+', choices=('seg', 'cls'), default=['seg', 'cls'])
    parser.add_argument(
        '--regime',
        nargs='+',
        choices=REGIMES,
        default=['scratch'],
        help='segmentation regimes (default scratch): scratch = --seg-iters '
        f'from random weights; converged = {CONVERGED_FACTOR}x --seg-iters; '
        'pretrained = --seg-iters from the EfficientNet-B0 backbone '
        'pretrained as a digit classifier first (configs/frskd_cls/'
        f'{PRETRAIN_CONFIG}, once, seed 0); imagenet = the FRSKD paper\'s '
        'regime: --imagenet-iters from the ImageNet EfficientNet-Lite0 '
        '(configs/*/*lite0*_digits.py), models ' + ', '.join(IMAGENET_MODELS))
    parser.add_argument(
        '--seg-model',
        nargs='+',
        choices=SEG_MODELS,
        default=[DEFAULT_SEG_MODEL],
        help=f'segmentation models (default {DEFAULT_SEG_MODEL}, the '
        'narrowed EfficientDet-d0 of configs/frskd_seg/); deeplabv3plus, '
        'segformer and bisenetv2 are tiny instances of mmseg\'s own model '
        'configs with FRSKD through FRSKDEncoderDecoder (configs/'
        'frskd_mmseg/*_360it_digits.py; scratch and converged regimes)')
    parser.add_argument(
        '--seg-methods',
        nargs='+',
        choices=tuple(
            dict.fromkeys(
                (*SEG_METHODS, *MMSEG_METHODS, *SEG_ABLATIONS, *TS_METHODS))),
        default=None,
        help='default: ' + ' '.join(DEFAULT_SEG_METHODS) + ' for '
        f'{DEFAULT_SEG_MODEL}, ' + ' '.join(DEFAULT_MMSEG_METHODS) +
        ' for the mmseg models (an ablation name runs it in every '
        '--regime); the teacher-student methods ' + ', '.join(TS_METHODS) +
        f' are {TS_MODEL}\'s (scratch regime): its student distilled from '
        f'{TS_TEACHER_CONFIG}, trained first')
    parser.add_argument(
        '--seg-teacher',
        default=None,
        help='checkpoint of the teacher of the teacher-student methods '
        '(default: train it first, seed 0, '
        f'{TS_TEACHER_FACTOR}x the students\' iterations)')
    parser.add_argument(
        '--ablation-regime',
        choices=REGIMES,
        default=None,
        help='also run the FRSKD ablations (' + ', '.join(SEG_ABLATIONS) +
        ') in this regime')
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='trainings run at the same time (default 2)')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='threads of each training (OMP_NUM_THREADS, default 1). The '
        'results depend on it (float sums in another order), not on the '
        'machine\'s core count; --jobs x --threads should not exceed the '
        'cores')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke run: one seed, tiny budgets')
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='reuse the finished runs found in --work-dir (a run\'s '
        'console log and its checkpoint at the last iteration, e.g. of an '
        'earlier invocation with other models) instead of training them '
        'again; the tables then cover every run of the plan')
    parser.add_argument(
        '--seg-iters',
        type=int,
        default=None,
        help=f"segmentation iterations (default "
        f"{FULL['seg_iters']}, quick {QUICK['seg_iters']})")
    parser.add_argument(
        '--imagenet-iters',
        type=int,
        default=IMAGENET_ITERS,
        help='segmentation iterations of the imagenet regime (default '
        f'{IMAGENET_ITERS})')
    parser.add_argument(
        '--cls-epochs',
        type=int,
        default=None,
        help=f"classification epochs (default "
        f"{FULL['cls_epochs']}, quick {QUICK['cls_epochs']})")
    parser.add_argument(
        '--pretrained-checkpoint',
        default=None,
        help='the pretrained regime starts from this classifier checkpoint '
        '(e.g. WORK_DIR/pretrain_b0_digits_cls/epoch_12.pth of an earlier '
        'run) instead of pretraining the backbone first')
    parser.add_argument(
        '--pretrain-epochs',
        type=int,
        default=None,
        help='epochs of the backbone pretraining (default: '
        'the config\'s; quick 2)')
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    args.seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    args.seg_iters = args.seg_iters or budget['seg_iters']
    args.cls_epochs = args.cls_epochs or budget['cls_epochs']
    if args.quick and args.pretrain_epochs is None:
        args.pretrain_epochs = 2
    if args.jobs < 1 or args.threads < 1:
        parser.error('--jobs and --threads must be >= 1')
    if args.seg_iters < 3 or args.cls_epochs < 2:
        parser.error('--seg-iters must be >= 3 and --cls-epochs >= 2')
    if args.pretrained_checkpoint and not osp.isfile(
            args.pretrained_checkpoint):
        parser.error(f'--pretrained-checkpoint {args.pretrained_checkpoint}'
                     ': no such file')
    if args.ablation_regime and args.ablation_regime not in args.regime:
        args.regime.append(args.ablation_regime)
    mmseg = [m for m in args.seg_model if m in MMSEG_MODELS]
    if mmseg and 'pretrained' in args.regime:
        parser.error(f'--seg-model {" ".join(mmseg)}: the pretrained regime '
                     f'is {DEFAULT_SEG_MODEL}\'s only (its backbone is '
                     'pretrained as a digit classifier); use scratch or '
                     'converged')
    imagenet_only = [
        m for m in args.seg_model
        if m not in MMSEG_MODELS and m != DEFAULT_SEG_MODEL
    ]
    if imagenet_only and args.regime != ['imagenet']:
        parser.error(f'--seg-model {" ".join(imagenet_only)}: only the '
                     'imagenet regime (--regime imagenet)')
    if mmseg and 'imagenet' in args.regime:
        parser.error(f'--seg-model {" ".join(mmseg)}: the imagenet regime '
                     'has ' + ', '.join(IMAGENET_MODELS))
    if args.imagenet_iters < 6:
        parser.error('--imagenet-iters must be >= 6')
    if args.seg_methods is not None:
        if 'seg' in args.tasks and 'baseline' not in args.seg_methods:
            parser.error('--seg-methods must include the baseline')
        for model in args.seg_model:
            if args.regime == ['imagenet']:
                known = IMAGENET_MODELS[model]
            else:
                known = ({
                    **MMSEG_METHODS,
                    **(TS_METHODS if model == TS_MODEL else {})
                } if model in MMSEG_MODELS else {
                    **SEG_METHODS,
                    **SEG_ABLATIONS
                })
            bad = [m for m in args.seg_methods if m not in known]
            if model in MMSEG_MODELS and not bad:
                # a method has a config for some families only
                bad = [
                    m for m in args.seg_methods if m not in TS_METHODS
                    and not osp.exists(mmseg_config(m, model))
                ]
            if bad:
                parser.error(f'--seg-model {model} has no method '
                             f'{", ".join(bad)} (it has: '
                             f'{", ".join(known)})')
    return args


def mmseg_config(method: str, model: str) -> str:
    """The config of ``method`` on the mmseg family ``model``."""
    if method in TS_METHODS:
        return osp.join(
            TS_CONFIGS, f'{TS_METHODS[method]}segformer-bifpn_'
            f'{MMSEG_MODELS[model]}_360it_digits.py')
    return osp.join(
        MMSEG_CONFIGS, f'{MMSEG_METHODS[method]}{MMSEG_MODELS[model]}'
        '_360it_digits.py')


def seg_methods(model: str, args, regime: str = 'scratch') -> list:
    """The methods ``model`` runs: ``--seg-methods`` or its defaults."""
    if args.seg_methods is not None:
        return list(args.seg_methods)
    if regime == 'imagenet':
        return list(DEFAULT_IMAGENET_METHODS[model])
    return list(DEFAULT_MMSEG_METHODS if model in
                MMSEG_MODELS else DEFAULT_SEG_METHODS)


def seg_task(model: str, regime: str) -> str:
    """The results key of a model's regime: ``seg-scratch`` for
    EfficientDet-d0 (as before the mmseg families), ``seg-segformer-scratch``
    for an mmseg family."""
    if model == DEFAULT_SEG_MODEL:
        return f'seg-{regime}'
    return f'seg-{model}-{regime}'


def seg_plan(args) -> list:
    """``(model, regime, methods)`` for every segmentation table part."""
    plan = []
    if 'seg' not in args.tasks:
        return plan
    for model in args.seg_model:
        for regime in args.regime:
            methods = seg_methods(model, args, regime)
            if (regime == args.ablation_regime and model == DEFAULT_SEG_MODEL):
                methods += [m for m in SEG_ABLATIONS if m not in methods]
            plan.append((model, regime, methods))
    return plan


def seg_iters(regime: str, args) -> int:
    if regime == 'imagenet':
        return args.imagenet_iters
    return args.seg_iters * (CONVERGED_FACTOR if regime == 'converged' else 1)


def config_file(name):
    """The path (relative to the checkout) of a digits config: ``name``
    itself if it has a folder, else the one folder of :data:`CONFIG_DIRS`
    that holds it."""
    if osp.dirname(name):
        return name
    found = [
        osp.join('configs', d, name) for d in CONFIG_DIRS
        if osp.isfile(osp.join(REPO, 'configs', d, name))
    ]
    if len(found) != 1:
        raise FileNotFoundError(
            f'{name}: in {len(found)} of configs/{{{",".join(CONFIG_DIRS)}}}')
    return found[0]


def train(task,
          name,
          config,
          seed,
          args,
          env,
          extra=(),
          budget=None,
          tag=None):
    tag = tag or f'{task}_{name.lower()}_seed{seed}'
    work_dir = osp.join(args.work_dir, tag)
    cmd = [
        sys.executable, 'tools/train.py',
        config_file(config), '--work-dir', work_dir, '--cfg-options',
        f'randomness.seed={seed}', *budget, *extra
    ]
    label = f'{task} {name} seed {seed}'
    log = osp.join(args.work_dir, f'{tag}.log')
    finished = _finished_run(work_dir, log, budget) if args.reuse else None
    if finished is not None:
        wall = finished
        say(f'[digits] reuse {label}: {work_dir}')
    else:
        say(f'[digits] start {label}, log {log}')
        start = time.perf_counter()
        run_tool(cmd, log, env, progress=label)
        wall = time.perf_counter() - start
    iter_times, val = read_run(work_dir)
    steady = iter_times[1:] or iter_times  # the first window has start-up
    metric = val.get('mIoU', val.get('accuracy/top1'))
    per_class, held_out = read_log(log) if task != 'cls' else ({}, [])
    say(f'[digits] done {label}: {metric:.2f} ({wall:.0f} s); '
        f'{args.progress.finished()}')
    return dict(
        metric=metric,
        iter_time=statistics.median(steady),
        wall=wall,
        checkpoint=last_checkpoint(work_dir),
        self_teacher=val.get('self_teacher/mIoU'),
        curves=read_curves(work_dir) if task != 'cls' else None,
        per_class=per_class,
        held_out_lead=held_out)


def _finished_run(work_dir: str, log: str, budget) -> Optional[float]:
    """The wall time of a finished run of this budget in ``work_dir`` (its
    log's first and last timestamps), or None if there is none: its
    checkpoint pointer must name the last iteration's (or epoch's) file."""
    ckpt = last_checkpoint(work_dir, missing_ok=True)
    if ckpt is None or not osp.isfile(ckpt) or not osp.isfile(log):
        return None
    opts = dict(o.split('=', 1) for o in budget or () if '=' in o)
    last = opts.get('train_cfg.max_iters') or opts.get('train_cfg.max_epochs')
    if last is not None and not osp.basename(ckpt).endswith(f'_{last}.pth'):
        return None
    stamps = []
    with open(log, errors='replace') as f:
        for line in f:
            match = re.match(r'(\d\d/\d\d \d\d:\d\d:\d\d) - mmengine', line)
            if match:
                stamps.append(match.group(1))
    if len(stamps) < 2:
        return 0.0
    fmt = '%m/%d %H:%M:%S'
    from datetime import datetime
    return (datetime.strptime(stamps[-1], fmt) -
            datetime.strptime(stamps[0], fmt)).total_seconds()


_CLASS_ROW = re.compile(r'^\|\s*(\S+)\s*\|\s*([-\d.]+|nan)\s*\|')
_HELD_OUT = re.compile(r'held-out lead at iteration (\d+): student '
                       r'([-\d.]+), self-teacher ([-\d.]+) mIoU')


def read_log(log: str):
    """From a seg run's console log: the student's per-class IoU of the
    last validation (mmseg's "per class results" table; the self-teacher's
    table, printed after "self-teacher on the val set:", is skipped) and
    the held-out lead measurements ``(iter, student, self-teacher)``."""
    with open(log, errors='replace') as f:
        lines = f.read().splitlines()
    last_val = max((i for i, line in enumerate(lines)
                    if 'Iter(val)' in line and 'mIoU' in line),
                   default=None)
    # the val loop prints the student's table, then (SelfTeacherLeadHook)
    # "self-teacher on the val set:" and the self-teacher's table, then the
    # Iter(val) line; held-out measurements print two tables and then their
    # "held-out lead" line, before the val loop of that iteration
    per_class, table, rows, skip = {}, False, {}, False
    for line in lines[:last_val]:
        if 'per class results' in line:
            table, rows = not skip, {}
        elif 'self-teacher on the val set' in line:
            table, skip = False, True
        elif 'Iter(val)' in line or 'held-out lead' in line:
            table, skip = False, False
        elif table:
            match = _CLASS_ROW.match(line.strip())
            if match and match.group(1) != 'Class':
                rows[match.group(1)] = float(match.group(2))
                per_class = rows
    held_out = [(int(m.group(1)), float(m.group(2)), float(m.group(3)))
                for m in map(_HELD_OUT.search, lines) if m]
    return per_class, held_out


def seg_job(regime,
            name,
            seed,
            args,
            env,
            pretrained=None,
            model=DEFAULT_SEG_MODEL,
            teacher=None):
    """One segmentation run of a model's regime: train()'s kwargs
    (``teacher``: the checkpoint of the teacher-student methods)."""
    if regime == 'imagenet':
        config, extra = IMAGENET_MODELS[model][name]
        warmup = None if name == 'baseline' else 2 / 3
    elif model in MMSEG_MODELS and name in TS_METHODS:
        # teacher-student: distillation from the first iteration
        config = mmseg_config(name, model)
        extra = [f'model.teacher_ckpt={teacher}']
        warmup = None
    elif model in MMSEG_MODELS:
        config = mmseg_config(name, model)
        # the EfficientDet method's config options (KD: beta 0, ...)
        extra = {**SEG_METHODS, **SEG_ABLATIONS}.get(name, (None, ()))[1]
        warmup = None if name == 'baseline' else 2 / 3
    else:
        config, extra, warmup = {**SEG_METHODS, **SEG_ABLATIONS}[name]
    points = IMAGENET_VAL_POINTS if regime == 'imagenet' else SEG_VAL_POINTS
    budget = seg_budget_options(
        seg_iters(regime, args),
        warmup is not None,
        val_points=points,
        distill_warmup=warmup or 2 / 3)
    extra = list(extra)
    if 'held-out-gate' in name:
        # the held-out lead at every validation interval
        n = seg_iters(regime, args)
        extra.append(f'custom_hooks.1.interval={-(-n // points)}')
    if regime == 'pretrained':
        extra.append(f'model.backbone.pretrained={pretrained}')
    slug = name.lower().replace(' ', '-').replace('/', '').replace('+', '-')
    task = seg_task(model, regime)
    return dict(
        task=task,
        name=name,
        config=config,
        seed=seed,
        args=args,
        env=env,
        extra=extra,
        budget=budget,
        tag=f'{task}_{slug}_seed{seed}')


def lead_table(results, plan, seeds):
    """Markdown rows: the self-teacher's mIoU and its leads, per method of
    each ``(model, regime, methods)`` of :func:`seg_plan`."""
    lines = [
        '| model, regime | method | student mIoU | self-teacher mIoU | '
        'val lead (self-teacher - student) | train CE lead, last third | '
        'val lead curve (mean over seeds, per validation) |',
        '|---|---|---|---|---|---|---|'
    ]
    for model, regime, methods in plan:
        for method in methods:
            rows = [
                results[(seg_task(model, regime), method, s)] for s in seeds
            ]
            if rows[0]['self_teacher'] is None:
                continue
            student = mean_std([r['metric'] for r in rows])
            teacher = mean_std([r['self_teacher'] for r in rows])
            lead = mean_std([r['self_teacher'] - r['metric'] for r in rows])
            ce = []
            for r in rows:
                pts = r['curves']['train_ce_lead']
                tail = [v for _, v in pts[len(pts) * 2 // 3:]]
                if tail:
                    ce.append(statistics.mean(tail))
            ce_txt = (f'{statistics.mean(ce):+.3f}' if ce else '-')
            vals = [r['curves']['val'] for r in rows]
            curve = []
            for points in zip(*vals):
                leads = [t - m for _, m, t in points if t is not None]
                if leads:
                    curve.append(f'{points[0][0]}: '
                                 f'{statistics.mean(leads):+.2f}')
            lines.append(
                f'| {model}, {regime} | {method} | {student[0]:.2f} +- '
                f'{student[1]:.2f} | {teacher[0]:.2f} +- {teacher[1]:.2f} '
                f'| {lead[0]:+.2f} +- {lead[1]:.2f} | {ce_txt} | '
                f'{", ".join(curve)} |')
    return lines


def curve_tables(results, plan, seeds):
    """Markdown for the imagenet regime: each method's student val mIoU
    curve (mean over seeds; the baseline's rise over the last third says
    whether it plateaued), wall time, the per-class IoU of the last
    validation and the held-out lead the gate saw."""
    lines = []
    for model, regime, methods in plan:
        if regime != 'imagenet':
            continue
        task = seg_task(model, regime)
        lines += [
            '', f'{model}, {regime}: student val mIoU per validation '
            '(mean over seeds), its rise over the last third of '
            'training, and the wall time of a run.', '',
            '| method | val mIoU curve (iteration: mIoU) | rise over '
            'the last third | wall time per run |', '|---|---|---|---|'
        ]
        for method in methods:
            rows = [results[(task, method, s)] for s in seeds]
            curves = [r['curves']['val'] for r in rows]
            points = [(pts[0][0], statistics.mean(p[1] for p in pts))
                      for pts in zip(*curves)]
            rise = '-'
            if len(points) >= 3:
                last_iter = points[-1][0]
                start = min(
                    points, key=lambda p: abs(p[0] - last_iter * 2 / 3))
                rise = f'{points[-1][1] - start[1]:+.2f} (from {start[0]})'
            wall = statistics.mean(r['wall'] for r in rows)
            lines.append(f'| {method} | ' + ', '.join(f'{i}: {m:.2f}'
                                                      for i, m in points) +
                         f' | {rise} | '
                         f'{wall / 60:.1f} min |')
        classes = sorted(
            {
                c
                for s in seeds
                for c in results[(task, methods[0], s)]['per_class']
            },
            key=lambda c: (c != 'background', c))
        if classes:
            lines += [
                '', f'{model}, {regime}: per-class IoU of the last '
                'validation (mean +- std over seeds).', '',
                '| method | ' + ' | '.join(classes) + ' |',
                '|---|' + '---|' * len(classes)
            ]
            for method in methods:
                cells = []
                for c in classes:
                    vals = [
                        results[(task, method, s)]['per_class'].get(c)
                        for s in seeds
                    ]
                    vals = [v for v in vals if v is not None]
                    m, sd = mean_std(vals) if vals else (float('nan'), 0.0)
                    cells.append(f'{m:.1f} +- {sd:.1f}')
                lines.append(f'| {method} | ' + ' | '.join(cells) + ' |')
        for method in methods:
            measured = [
                results[(task, method, s)]['held_out_lead'] for s in seeds
            ]
            if not all(measured):
                continue
            pts = [
                f'{m[0][0]}: {statistics.mean(t - st for _, st, t in m):+.2f}'
                for m in zip(*measured)
            ]
            lines += [
                '', f'{model}, {regime}, {method}: the held-out lead '
                '(self-teacher - student mIoU on the 60 held-out '
                'training scenes, mean over seeds) the gate read: ' +
                ', '.join(pts)
            ]
    return lines


class RunCounter:
    """Overall progress of the experiment: runs finished out of the total,
    elapsed time and a naive estimate of the time left (the mean wall time
    per finished run, spread over the runs in flight)."""

    def __init__(self, total: int, started: float):
        self.total, self.started, self.done = total, started, 0
        self._lock = threading.Lock()

    def finished(self) -> str:
        with self._lock:
            self.done += 1
            elapsed = time.perf_counter() - self.started
            left = elapsed / self.done * (self.total - self.done)
            return (f'{self.done}/{self.total} runs done, '
                    f'{elapsed / 60:.1f} min elapsed, ~{left / 60:.0f} min '
                    'left')


def count_runs(args) -> int:
    """Trainings :func:`main` will run for ``args``."""
    seeds = len(args.seeds)
    runs = 0
    plan = seg_plan(args)
    runs += sum(len(set(methods)) for _, _, methods in plan) * seeds
    if any(model == DEFAULT_SEG_MODEL and regime == 'pretrained'
           for model, regime, _ in plan) and not args.pretrained_checkpoint:
        runs += 1  # the backbone's pretraining
    if 'cls' in args.tasks:
        runs += len(CLS_RUNS) * seeds + 1  # + the SFD teacher
    if uses_seg_teacher(plan) and not args.seg_teacher:
        runs += 1  # the teacher of the teacher-student methods
    return runs


def uses_seg_teacher(plan) -> bool:
    """Whether a part of the plan runs a teacher-student method."""
    return any(name in TS_METHODS for _, _, methods in plan
               for name in methods)


def train_seg_teacher(args, env) -> dict:
    """Train the teacher of the teacher-student methods (seed 0,
    :data:`TS_TEACHER_FACTOR` x ``--seg-iters``, 3 validations)."""
    iters = TS_TEACHER_FACTOR * args.seg_iters
    result = train(
        'seg-teacher',
        'segformer-bifpn',
        TS_TEACHER_CONFIG,
        0,
        args,
        env,
        budget=seg_budget_options(iters, False, val_points=SEG_VAL_POINTS),
        tag='seg-teacher_segformer-bifpn_seed0')
    result['iters'] = iters
    say(f"[digits] teacher of the teacher-student methods: mIoU "
        f"{result['metric']:.2f} after {iters} iterations, "
        f"{result['checkpoint']}")
    return result


def pretrain_backbone(args, env) -> str:
    """Train the seg backbone as a digit classifier (once, seed 0); the
    checkpoint the pretrained regime's seg runs load."""
    extra = []
    if args.pretrain_epochs:
        e = args.pretrain_epochs
        extra = [
            f'train_cfg.max_epochs={e}', f'train_cfg.val_interval={e}',
            f'default_hooks.checkpoint.interval={e}',
            f'param_scheduler.1.T_max={e}'
        ]
    result = train(
        'cls',
        'pretrain',
        PRETRAIN_CONFIG,
        0,
        args,
        env,
        extra=extra,
        budget=[],
        tag='pretrain_b0_digits_cls')
    say(f"[digits] backbone pretrained as a classifier: top-1 "
        f"{result['metric']:.2f}, {result['checkpoint']}")
    return result


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    data_root = osp.abspath(args.data_root)
    env = dict(os.environ, SELFKD_DIGITS_DATA=data_root)
    started = time.perf_counter()
    args.progress = RunCounter(count_runs(args), started)
    say(f'[digits] {args.progress.total} trainings, {args.jobs} at a time, '
        f'{args.threads} thread(s) each (OMP_NUM_THREADS={args.threads}; '
        f'this machine has {os.cpu_count()} cores)')

    run_tool([
        sys.executable, 'tools/dataset_converters/make_digits.py', data_root,
        '--cls-train-per-digit',
        str(CLS_TRAIN_PER_DIGIT)
    ], osp.join(args.work_dir, 'make_digits.log'), env)
    say(f'[digits] data: {data_root}')

    # --jobs trainings at a time, --threads each, whatever the machine's
    # cores (the thread count changes the results; tiny models use 2
    # threads poorly: 2 one-thread runs did ~1.3x the work of one two-thread
    # run here); SFD runs start once the teacher is trained, the pretrained
    # regime once the backbone is.
    env['OMP_NUM_THREADS'] = str(args.threads)
    results, teacher, pretrained, seg_teacher = {}, {}, {}, {}
    plan = seg_plan(args)

    def job(task, name, config, seed):
        extra = []
        if name == 'SFD':
            # SFD loads the teacher's state_dict from its training checkpoint
            extra = [f"model.teacher_ckpt={teacher['checkpoint']}"]
        budget = (cls_budget_options(args.cls_epochs) if task == 'cls' else [])
        results[(task, name, seed)] = train(task, name, config, seed, args,
                                            env, extra, budget)

    def seg(model, regime, name, seed):
        spec = seg_job(regime, name, seed, args, env,
                       pretrained.get('checkpoint'), model,
                       seg_teacher.get('checkpoint'))
        results[(spec['task'], name, seed)] = train(**spec)

    first, after_teacher, after_pretrain = [], [], []
    after_seg_teacher = []
    for seed in args.seeds:  # longest first within each group
        if 'cls' in args.tasks:
            first.append((job, ('cls', 'FRSKD', CLS_RUNS[1][1], seed)))
        for model, regime, methods in plan:
            group = after_pretrain if regime == 'pretrained' else first
            group += [(seg, (model, regime, name, seed))
                      for name in methods[::-1] if name not in TS_METHODS]
            after_seg_teacher += [(seg, (model, regime, name, seed))
                                  for name in methods[::-1]
                                  if name in TS_METHODS]
        if 'cls' in args.tasks:
            first.append((job, ('cls', 'baseline', CLS_RUNS[0][1], seed)))
            after_teacher.append((job, ('cls', 'SFD', CLS_RUNS[2][1], seed)))
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    try:
        # the runs others wait for go first
        pretrain = None
        if after_pretrain and args.pretrained_checkpoint:
            pretrained.update(
                checkpoint=osp.abspath(args.pretrained_checkpoint),
                metric=None)
            first += after_pretrain
        elif after_pretrain:
            pretrain = pool.submit(pretrain_backbone, args, env)
        cls_teacher = (
            pool.submit(job, 'cls', 'teacher', CLS_TEACHER, 0)
            if after_teacher else None)
        ts_teacher = None
        if after_seg_teacher and args.seg_teacher:
            seg_teacher.update(
                checkpoint=osp.abspath(args.seg_teacher), metric=None)
            first += after_seg_teacher
        elif after_seg_teacher:
            ts_teacher = pool.submit(train_seg_teacher, args, env)
        pending = [pool.submit(fn, *fn_args) for fn, fn_args in first]
        if ts_teacher is not None:
            seg_teacher.update(ts_teacher.result())
            pending += [pool.submit(fn, *a) for fn, a in after_seg_teacher]
        if pretrain is not None:
            pretrained.update(pretrain.result())
            pending += [pool.submit(fn, *a) for fn, a in after_pretrain]
        if cls_teacher is not None:
            cls_teacher.result()
            teacher.update(results[('cls', 'teacher', 0)])
            pending += [pool.submit(fn, *a) for fn, a in after_teacher]
        for future in pending:
            future.result()  # re-raise a failed run
    except BaseException:
        # a failed run that others wait for: do not train the queue first
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()

    tasks = [(seg_task(model, regime), 'mIoU', methods)
             for model, regime, methods in plan]
    if 'cls' in args.tasks:
        tasks.append(('cls', 'top-1', [name for name, _ in CLS_RUNS]))
    lines, summary = summary_table(results, tasks, args.seeds)
    self_teachers = any(results[(seg_task(model, regime), method,
                                 s)]['self_teacher'] is not None
                        for model, regime, methods in plan
                        for method in methods for s in args.seeds)
    if self_teachers:
        lines += [
            '', 'The self-teacher (FRSKD runs): its own val mIoU at '
            'the end, its lead over the student, the train CE lead '
            '(student CE - self-teacher CE, > 0: it leads) averaged '
            'over the last third of training, and the val lead at '
            'each validation (iteration: lead).', ''
        ]
        lines += lead_table(results, plan, args.seeds)
    if plan:
        lines += curve_tables(results, plan, args.seeds)
    minutes = (time.perf_counter() - started) / 60
    machine = (f'{platform.machine()}, {os.cpu_count()} CPU cores, '
               f'Python {platform.python_version()}')
    parts = []
    for model, regime, _ in plan:
        crops = (96 if model == DEFAULT_SEG_MODEL or regime == 'imagenet' else
                 128)
        parts.append(f'segmentation {model} {regime} '
                     f'{seg_iters(regime, args)} iterations (batch 8, '
                     f'{crops} crops)')
    if seg_teacher.get('metric') is not None:
        parts.append(
            f"teacher of {', '.join(TS_METHODS)}: {TS_TEACHER_CONFIG}, "
            f"seed 0, {seg_teacher['iters']} iterations, mIoU "
            f"{seg_teacher['metric']:.2f} "
            f"({seg_teacher['iter_time']:.3f} s/iter)")
    elif seg_teacher:
        parts.append(f"teacher from {seg_teacher['checkpoint']}")
    if pretrained.get('metric') is not None:
        parts.append(f"backbone pretrained as a digit classifier: top-1 "
                     f"{pretrained['metric']:.2f}")
    elif pretrained:
        parts.append(f"backbone from {pretrained['checkpoint']}")
    if 'cls' in args.tasks:
        parts.append(f'classification {args.cls_epochs} epochs (batch 64), '
                     'teacher WRN-16-2 top-1 '
                     f"{results[('cls', 'teacher', 0)]['metric']:.2f}")
    header = [
        f'Digits experiment: seeds {args.seeds}; ' + '; '.join(parts) + '.',
        f'Command: python tools/digits_experiment.py '
        f'{" ".join(argv if argv is not None else sys.argv[1:])}'.rstrip(),
        f'Machine: {machine}; {minutes:.1f} min in all.', ''
    ]
    text = '\n'.join(header + lines) + '\n'
    print('\n' + text)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text)
    runs = {
        '/'.join(map(str, key)): {
            k: v
            for k, v in value.items()
        }
        for key, value in results.items()
    }
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(
            dict(
                summary=summary,
                runs=runs,
                minutes=minutes,
                machine=machine,
                seeds=args.seeds,
                seg_plan=[[m, r, list(ms)] for m, r, ms in plan],
                seg_iters=args.seg_iters,
                cls_epochs=args.cls_epochs,
                pretrained=pretrained or None,
                seg_teacher=seg_teacher or None),
            f,
            indent=1)
    return summary

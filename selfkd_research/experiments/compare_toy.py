"""Short CPU comparisons of classification methods on toy data.

Generates the toy image-folder dataset
(``selfkd_research.synthetic_data.toy_cls``: 32x32 coloured shapes on noise,
one class per (colour, shape) pair; few
training images so accuracy is not saturated), then trains every method with
the same budget, data order and initialisation seed through mmengine's
``Runner`` and prints the top-1 accuracy on the val split at the end of
training.  A toy, for plumbing and rough trends, not the papers' numbers.

- ``frskd`` (``tools/analysis/compare_cls_toy.py``): plain classifier vs FRSKD
  (vs FRSKD+SLA) on ``configs/frskd_cls/frskd_wrn-10-1_4e_toy.py`` with the
  chosen backbone.  The self-teacher is dropped at test time, so the numbers
  compare the same deployable architecture.
- ``sfd`` (``tools/analysis/compare_sfd_toy.py``): trains the teacher of
  ``configs/sfd_cls/sfd_resnet8x4_resnet8_20it_toy.py`` (resnet8x4), then its
  student (resnet8) as
  ``student`` (CE), ``kd`` (0.1 CE + 0.9 KD, T=4, RepDistiller's recipe) and
  ``sfd`` (CE + 3 x OFD through the RI integrator, BN margin, RSD after every
  epoch; no logit KD).
"""
import argparse
import os.path as osp
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from selfkd_research import REPO
from selfkd_research.benchmarks.benchmark import (plain_student_cfg,
                                                  toy_cls_recipe)
from selfkd_research.synthetic_data.toy_cls import make_toy_cls
from selfkd_seg.engine.checkpoint_io import last_checkpoint

COLOURS = ('red', 'green', 'blue', 'yellow')
SHAPES = ('square', 'disc', 'triangle', 'bar')
BACKBONES = dict(
    wrn10_1=dict(depth=10, widen_factor=1),  # 16/32/64 channels
    wrn16_2=dict(depth=16, widen_factor=2),  # the paper's WRN-16-2
)
# comparison -> (toy config under configs/, methods, default methods,
# default epochs, default threads)
COMPARISONS = dict(
    frskd=('frskd_cls/frskd_wrn-10-1_4e_toy.py',
           ('baseline', 'frskd', 'frskd_sla'), ['baseline', 'frskd'], 15, 1),
    sfd=('sfd_cls/sfd_resnet8x4_resnet8_20it_toy.py', ('student', 'kd', 'sfd'),
         ['student', 'kd', 'sfd'], 30, 2))


def toy_classes(num_classes):
    pairs = [f'{c}_{s}' for s in SHAPES for c in COLOURS]
    if not 2 <= num_classes <= len(pairs):
        raise ValueError(f'--num-classes must be in [2, {len(pairs)}], got '
                         f'{num_classes}')
    return tuple(pairs[:num_classes])


def _toy_cfg(kind, num_classes):
    cfg = Config.fromfile(osp.join(REPO, 'configs', COMPARISONS[kind][0]))
    cfg.model.head.num_classes = num_classes
    cfg.data_preprocessor.num_classes = num_classes
    return cfg


def _recipe(cfg, args, method, seed, data_root, epochs):
    return toy_cls_recipe(
        cfg,
        data_root,
        osp.join(args.work_dir, f'{method}_seed{seed}'),
        batch=args.batch,
        lr=args.lr,
        epochs=epochs,
        seed=seed)


def frskd_cfg(args, method, seed, data_root, num_classes):
    """The config of one FRSKD comparison run."""
    cfg = _toy_cfg('frskd', num_classes)
    model = cfg.model
    model.backbone.update(BACKBONES[args.backbone])
    model.head.in_channels = 64 * BACKBONES[args.backbone]['widen_factor']
    if method == 'baseline':
        model.type = 'ImageClassifier'
        model.pop('self_teacher')
        model.pop('distill')
    elif method == 'frskd_sla':
        model.type = 'FRSKDSLAClassifier'
        model.sla = dict(num_rotations=4, aux_weight=1.0)
    return _recipe(cfg, args, method, seed, data_root, args.epochs)


def sfd_cfg(args,
            method,
            seed,
            data_root,
            num_classes,
            epochs,
            teacher_ckpt=None):
    """The config of one SFD comparison run (``method='teacher'`` first)."""
    cfg = _toy_cfg('sfd', num_classes)
    model = cfg.model
    model.teacher.head.num_classes = num_classes
    cfg.custom_hooks = []
    if method == 'teacher':
        cfg.model = model.teacher
    elif method == 'student':
        cfg.model = plain_student_cfg(model)
    else:
        model.teacher_ckpt = teacher_ckpt
        model.allow_random_teacher = False
        if method == 'kd':
            model.head.loss.loss_weight = 0.1
            model.integrator = None
            model.distill = dict(
                loss=None,
                margin=None,
                kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9))
        else:  # sfd: RI + OFD (weight 3, BN margin) + RSD, no logit KD
            model.distill.kd = None
            cfg.custom_hooks = [
                dict(
                    type='SelfDistillHook',
                    tau=(0.995, 0.999),
                    random_flip=True,
                    flip_prob=0.5,
                    by_epoch=True)
            ]
    cfg.model.data_preprocessor = cfg.data_preprocessor
    cfg.log_processor = dict(by_epoch=True)
    return _recipe(cfg, args, method, seed, data_root, epochs)


def train_and_eval(cfg):
    """Train; returns (val top-1, seconds, last checkpoint)."""
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    top1 = runner.message_hub.get_scalar('val/accuracy/top1').current()
    ckpt = last_checkpoint(cfg.work_dir)
    return float(top1), time.perf_counter() - start, ckpt


def parse_args(kind, description, argv=None):
    _, methods, default_methods, epochs, threads = COMPARISONS[kind]
    parser = argparse.ArgumentParser(description=description)
    script = 'compare_cls_toy' if kind == 'frskd' else 'compare_sfd_toy'
    parser.add_argument('--work-dir', default=f'work_dirs/{script}')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--epochs', type=int, default=epochs)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--lr', type=float, default=0.05)
    parser.add_argument('--num-classes', type=int, default=16)
    parser.add_argument('--train-per-class', type=int, default=16)
    parser.add_argument('--val-per-class', type=int, default=40)
    parser.add_argument(
        '--threads', type=int, default=threads, help='torch CPU threads')
    parser.add_argument(
        '--methods', nargs='+', default=default_methods, choices=methods)
    if kind == 'frskd':
        parser.add_argument(
            '--backbone', default='wrn10_1', choices=sorted(BACKBONES))
    else:
        parser.add_argument('--teacher-epochs', type=int, default=40)
    return parser.parse_args(argv)


def compare(kind, description='', argv=None):
    """Run the ``kind`` comparison (see the module doc); returns top-1s."""
    args = parse_args(kind, description, argv)
    torch.set_num_threads(args.threads)
    classes = toy_classes(args.num_classes)
    data_root = osp.join(args.work_dir, 'data')
    make_toy_cls(
        data_root,
        dict(train=args.train_per_class, val=args.val_per_class),
        classes=classes,
        seed=1234)
    teacher = {}
    if kind == 'sfd':
        top1, secs, ckpt = train_and_eval(
            sfd_cfg(args, 'teacher', 0, data_root, len(classes),
                    args.teacher_epochs))
        teacher = dict(teacher=top1)
        print(
            f'teacher resnet8x4 top-1 {top1:6.2f}  ({secs:.0f} s, '
            f'{args.teacher_epochs} epochs)',
            flush=True)
    results = {m: [] for m in args.methods}
    for seed in args.seeds:
        for method in args.methods:  # same seed -> same init, data order
            cfg = frskd_cfg(args, method, seed, data_root, len(classes)) \
                if kind == 'frskd' else sfd_cfg(
                    args, method, seed, data_root, len(classes),
                    args.epochs, ckpt)
            top1, secs, _ = train_and_eval(cfg)
            results[method].append(top1)
            print(
                f'seed {seed} {method:10s} top-1 {top1:6.2f}  '
                f'({secs:.0f} s)',
                flush=True)
    model = args.backbone if kind == 'frskd' else (
        f'teacher resnet8x4 ({args.teacher_epochs} epochs, top-1 '
        f"{teacher['teacher']:.2f}) -> student resnet8")
    print(f'== toy {len(classes)} classes, {args.train_per_class} train / '
          f'{args.val_per_class} val images per class, {model}, '
          f'{args.epochs} epochs, batch {args.batch}, seeds {args.seeds}')
    for method, accs in results.items():
        spread = statistics.stdev(accs) if len(accs) > 1 else 0.
        print(f'{method:10s} top-1 ' + ' '.join(f'{a:6.2f}' for a in accs) +
              f'   mean {statistics.mean(accs):6.2f} +- {spread:.2f}')
    return dict(teacher, **results)

"""Short CPU comparison on toy data: plain student vs logit KD vs SFD.

    python tools/analysis/compare_sfd_toy.py [--work-dir DIR] [--seeds 0 1]
        [--teacher-epochs 40] [--epochs 30] [--num-classes 16]
        [--train-per-class 16] [--val-per-class 40] [--threads 2]

Generates the toy image-folder dataset (``selfkd_seg.datasets.toy_cls``),
trains the teacher of ``configs/toy/sfd_cls_toy.py`` (resnet8x4) with the
plain recipe, then trains its student (resnet8) three ways with the same
budget, data order and initialisation seed through mmengine's ``Runner``:

- ``student``: the plain classifier (CE);
- ``kd``: CE + logit KD from the trained teacher (RepDistiller's 0.1 CE +
  0.9 KD, T=4);
- ``sfd``: CE + 3 x OFD loss through the RI integrator on the teacher's
  last-stage pre-ReLU feature (BN margin) + RSD after every epoch (the
  paper's SFD; no logit KD).

Prints the teacher's and every student's top-1 on the val split at the end
of training.  A toy, for plumbing and rough trends, not the paper's numbers.
"""
import argparse
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import selfkd_seg  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from selfkd_seg.apis.benchmark import toy_cls_recipe  # noqa: E402
from selfkd_seg.datasets.toy_cls import make_toy_cls  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY_CONFIG = osp.join(REPO, 'configs', 'toy', 'sfd_cls_toy.py')
COLOURS = ('red', 'green', 'blue', 'yellow')
SHAPES = ('square', 'disc', 'triangle', 'bar')
METHODS = ('student', 'kd', 'sfd')
TRAINING_ONLY_KEYS = ('teacher', 'teacher_ckpt', 'allow_random_teacher',
                      'integrator', 'distill')


def toy_classes(num_classes):
    pairs = [f'{c}_{s}' for s in SHAPES for c in COLOURS]
    if not 2 <= num_classes <= len(pairs):
        raise ValueError(f'--num-classes must be in [2, {len(pairs)}], got '
                         f'{num_classes}')
    return tuple(pairs[:num_classes])


def run_cfg(args, method, seed, data_root, num_classes, epochs,
            teacher_ckpt=None):
    cfg = Config.fromfile(TOY_CONFIG)
    model = cfg.model
    model.head.num_classes = num_classes
    model.teacher.head.num_classes = num_classes
    cfg.data_preprocessor.num_classes = num_classes
    cfg.custom_hooks = []
    if method == 'teacher':
        cfg.model = model.teacher
    elif method == 'student':
        for key in TRAINING_ONLY_KEYS:
            model.pop(key)
        model.type = 'ImageClassifier'
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
                dict(type='SelfDistillHook', tau=(0.995, 0.999),
                     random_flip=True, flip_prob=0.5, by_epoch=True)
            ]
    cfg.model.data_preprocessor = cfg.data_preprocessor
    cfg.log_processor = dict(by_epoch=True)
    return toy_cls_recipe(
        cfg, data_root, osp.join(args.work_dir, f'{method}_seed{seed}'),
        batch=args.batch, lr=args.lr, epochs=epochs, seed=seed)


def train_and_eval(cfg):
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    top1 = runner.message_hub.get_scalar('val/accuracy/top1').current()
    ckpt = osp.join(cfg.work_dir, f'epoch_{runner.epoch}.pth')
    return float(top1), time.perf_counter() - start, ckpt


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/compare_sfd_toy')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--teacher-epochs', type=int, default=40)
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--lr', type=float, default=0.05)
    parser.add_argument('--num-classes', type=int, default=16)
    parser.add_argument('--train-per-class', type=int, default=16)
    parser.add_argument('--val-per-class', type=int, default=40)
    parser.add_argument(
        '--threads', type=int, default=2, help='torch CPU threads')
    parser.add_argument(
        '--methods', nargs='+', default=list(METHODS), choices=METHODS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    classes = toy_classes(args.num_classes)
    data_root = osp.join(args.work_dir, 'data')
    make_toy_cls(
        data_root,
        dict(train=args.train_per_class, val=args.val_per_class),
        classes=classes,
        seed=1234)
    t_top1, secs, teacher_ckpt = train_and_eval(
        run_cfg(args, 'teacher', 0, data_root, len(classes),
                args.teacher_epochs))
    print(f'teacher resnet8x4 top-1 {t_top1:6.2f}  ({secs:.0f} s, '
          f'{args.teacher_epochs} epochs)', flush=True)
    results = {m: [] for m in args.methods}
    for seed in args.seeds:
        for method in args.methods:  # same seed -> same init, data order
            top1, secs, _ = train_and_eval(
                run_cfg(args, method, seed, data_root, len(classes),
                        args.epochs, teacher_ckpt))
            results[method].append(top1)
            print(f'seed {seed} {method:8s} top-1 {top1:6.2f}  ({secs:.0f} s)',
                  flush=True)
    print(f'== toy {len(classes)} classes, {args.train_per_class} train / '
          f'{args.val_per_class} val images per class; teacher resnet8x4 '
          f'({args.teacher_epochs} epochs, top-1 {t_top1:.2f}) -> student '
          f'resnet8, {args.epochs} epochs, batch {args.batch}, seeds '
          f'{args.seeds}')
    for method, accs in results.items():
        spread = statistics.stdev(accs) if len(accs) > 1 else 0.
        print(f'{method:8s} top-1 ' + ' '.join(f'{a:6.2f}' for a in accs) +
              f'   mean {statistics.mean(accs):6.2f} +- {spread:.2f}')
    return dict(teacher=t_top1, **results)


if __name__ == '__main__':
    main()

"""Short CPU training comparison: plain classifier vs FRSKD on toy data.

    python tools/analysis/compare_cls_toy.py [--work-dir DIR] [--seeds 0 1]
        [--epochs 15] [--num-classes 16] [--train-per-class 16]
        [--val-per-class 40] [--backbone wrn10_1] [--threads 1]
        [--methods baseline frskd]

Generates a toy image-folder dataset (``selfkd_seg.datasets.toy_cls``:
32x32 coloured shapes on noise, one class per (colour, shape) pair; few
training images so accuracy is not saturated), then trains every method
with the same budget, data order and initialisation seed through mmengine's
``Runner`` (the configs of ``configs/toy/frskd_cls_toy.py`` with the chosen
backbone) and prints the top-1 accuracy of the classifier on the val split
at the end of training.  FRSKD's self-teacher is dropped at test time, so
the numbers compare the same deployable architecture.
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
TOY_CONFIG = osp.join(REPO, 'configs', 'toy', 'frskd_cls_toy.py')
COLOURS = ('red', 'green', 'blue', 'yellow')
SHAPES = ('square', 'disc', 'triangle', 'bar')
BACKBONES = dict(
    wrn10_1=dict(depth=10, widen_factor=1),  # 16/32/64 channels
    wrn16_2=dict(depth=16, widen_factor=2),  # the paper's WRN-16-2
)
METHODS = ('baseline', 'frskd', 'frskd_sla')


def toy_classes(num_classes):
    pairs = [f'{c}_{s}' for s in SHAPES for c in COLOURS]
    if not 2 <= num_classes <= len(pairs):
        raise ValueError(f'--num-classes must be in [2, {len(pairs)}], got '
                         f'{num_classes}')
    return tuple(pairs[:num_classes])


def run_cfg(args, method, seed, data_root, num_classes):
    cfg = Config.fromfile(TOY_CONFIG)
    model = cfg.model
    model.backbone.update(BACKBONES[args.backbone])
    width = 16 * BACKBONES[args.backbone]['widen_factor']
    model.head.in_channels = 4 * width
    model.head.num_classes = num_classes
    cfg.data_preprocessor.num_classes = num_classes
    if method == 'baseline':
        model.type = 'ImageClassifier'
        model.pop('self_teacher')
        model.pop('distill')
    elif method == 'frskd_sla':
        model.type = 'FRSKDSLAClassifier'
        model.sla = dict(num_rotations=4, aux_weight=1.0)
    return toy_cls_recipe(
        cfg, data_root, osp.join(args.work_dir, f'{method}_seed{seed}'),
        batch=args.batch, lr=args.lr, epochs=args.epochs, seed=seed)


def train_and_eval(cfg):
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    top1 = runner.message_hub.get_scalar('val/accuracy/top1').current()
    return float(top1), time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/compare_cls_toy')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--epochs', type=int, default=15)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--lr', type=float, default=0.05)
    parser.add_argument('--num-classes', type=int, default=16)
    parser.add_argument('--train-per-class', type=int, default=16)
    parser.add_argument('--val-per-class', type=int, default=40)
    parser.add_argument(
        '--backbone', default='wrn10_1', choices=sorted(BACKBONES))
    parser.add_argument(
        '--threads', type=int, default=1, help='torch CPU threads')
    parser.add_argument(
        '--methods', nargs='+', default=['baseline', 'frskd'],
        choices=METHODS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    classes = toy_classes(args.num_classes)
    data_root = osp.join(args.work_dir, 'data')
    make_toy_cls(
        data_root,
        dict(train=args.train_per_class, val=args.val_per_class),
        classes=classes,
        seed=1234)
    results = {m: [] for m in args.methods}
    for seed in args.seeds:
        for method in args.methods:  # same seed -> same init, data order
            top1, secs = train_and_eval(
                run_cfg(args, method, seed, data_root, len(classes)))
            results[method].append(top1)
            print(f'seed {seed} {method:10s} top-1 {top1:6.2f}  '
                  f'({secs:.0f} s)', flush=True)
    print(f'== toy {len(classes)} classes, {args.train_per_class} train / '
          f'{args.val_per_class} val images per class, {args.backbone}, '
          f'{args.epochs} epochs, batch {args.batch}, seeds {args.seeds}')
    for method, accs in results.items():
        spread = statistics.stdev(accs) if len(accs) > 1 else 0.
        print(f'{method:10s} top-1 ' + ' '.join(f'{a:6.2f}' for a in accs) +
              f'   mean {statistics.mean(accs):6.2f} +- {spread:.2f}')
    return results


if __name__ == '__main__':
    main()

"""Generate the toy VOC-layout dataset (configs/_base_/datasets/toy_voc.py).

Usage::

    python tools/dataset_converters/make_toy_voc.py data/toy_voc
    python tools/dataset_converters/make_toy_voc.py OUT --num-train 96 \
        --num-val 32 --size 128 128 --seed 0

Idempotent: if ``OUT/meta.json`` records the same arguments and all files are
present, nothing is written; otherwise the dataset is (re)generated.
"""
import argparse
import json

from selfkd_seg.testing.toy_voc import make_toy_voc, toy_voc_is_current


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a small synthetic segmentation dataset in Pascal '
        'VOC layout (shapes on textured backgrounds).')
    parser.add_argument('out_dir', help='output folder (e.g. data/toy_voc)')
    parser.add_argument(
        '--num-train', type=int, default=96, help='training images')
    parser.add_argument(
        '--num-val', type=int, default=32, help='validation images')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[128, 128],
        metavar=('H', 'W'),
        help='image height and width')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--force', action='store_true', help='regenerate even if current')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    kwargs = dict(
        num_train=args.num_train,
        num_val=args.num_val,
        img_size=tuple(args.size),
        seed=args.seed)
    if not args.force and toy_voc_is_current(args.out_dir, **kwargs):
        print(f'{args.out_dir}: toy dataset already up to date, skipped')
        return None
    summary = make_toy_voc(args.out_dir, **kwargs)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == '__main__':
    main()

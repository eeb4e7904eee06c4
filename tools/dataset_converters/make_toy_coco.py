"""Generate the toy shapes as COCO-format JSON (toy/frskd_d0_toy_coco.py).

Usage::

    python tools/dataset_converters/make_toy_coco.py data/toy_coco
    python tools/dataset_converters/make_toy_coco.py OUT --num-train 96 \
        --num-val 32 --size 128 128 --seed 0

Writes ``OUT/images/*.jpg`` and ``OUT/annotations/{train,val}.json`` with
polygons, RLE masks, crowd regions, overlaps and non-contiguous category ids.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.testing.toy_coco import make_toy_coco  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Write the toy shapes dataset as COCO-format JSON.')
    parser.add_argument('out_dir', help='output folder (e.g. data/toy_coco)')
    parser.add_argument('--num-train', type=int, default=96)
    parser.add_argument('--num-val', type=int, default=32)
    parser.add_argument(
        '--size', type=int, nargs=2, default=[128, 128], metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    summary = make_toy_coco(args.out_dir, args.num_train, args.num_val,
                            tuple(args.size), args.seed)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == '__main__':
    main()

"""Params and FLOPs of the student and of its self-teacher, and their ratio.

    python tools/analysis/complexity.py CONFIG [--shape H W] [--cfg-options
    ...]

FLOPs count one multiply-add as one FLOP (fvcore / mmengine convention), at
batch size 1.  Works for segmentation (mmseg) and classification
(mmpretrain) configs; the ratios are those of FRSKD's Table 6.  The model is
built with random weights (a random teacher, no pretrained download).  The
command line of ``selfkd_seg.analysis.complexity.config_complexity``.
"""
import argparse
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from selfkd_seg.analysis.complexity import config_complexity, format_complexity


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=None, help='input H W')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Prints the report of the config's model and returns it."""
    args = parse_args(argv)
    report = config_complexity(args.config, args.shape, args.cfg_options)
    print(format_complexity(report))
    return report


if __name__ == '__main__':
    main()

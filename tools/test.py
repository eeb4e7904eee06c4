"""Test (evaluate) a trained segmentor or classifier.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR_OR_FILE]
        [--show] [--show-dir DIR] [--interval N] [--cfg-options k=v ...]
        [--launcher ...]

``--show``/``--show-dir``: paint every test image (every N-th with
``--interval N``); mmseg configs write
``DIR/vis_data/vis_image/test_<image>_0.png``, mmpretrain configs
``DIR/<class folder>_<image>_0.png``.

``--out``: for mmseg configs a folder receiving one prediction PNG per image;
for mmpretrain configs a pickle file of the predictions.
"""
import argparse
import os
import os.path as osp
import sys

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_seg.apis.test import test  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction  # after selfkd_seg's compat
    parser = argparse.ArgumentParser(
        description='Test a selfkd_seg model (mmseg or mmpretrain config)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs/metrics')
    parser.add_argument(
        '--out',
        help='segmentation: folder for prediction PNGs; classification: a '
        '.pkl file of predictions')
    parser.add_argument('--show', action='store_true', help='show results')
    parser.add_argument(
        '--show-dir', help='folder where painted predictions are saved')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='with --show/--show-dir: paint every N-th test image '
        '(default 1: every image)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None) -> dict:
    """Test as the command line ``argv`` (None: ``sys.argv``) says; return
    the metrics."""
    args = parse_args(argv)
    return test(
        args.config,
        args.checkpoint,
        work_dir=args.work_dir,
        out=args.out,
        show=args.show,
        show_dir=args.show_dir,
        wait_time=args.wait_time,
        interval=args.interval,
        cfg_options=args.cfg_options,
        launcher=args.launcher)


if __name__ == '__main__':
    main()

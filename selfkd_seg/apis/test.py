"""``tools/test.py``: test (evaluate) a trained segmentor or classifier.

:func:`main` takes the script's arguments (``argv``; ``None``: the command
line) and returns the test metrics.  ``--out``/``--show``/``--show-dir``:
see :func:`selfkd_seg.apis.config.prepare_test_cfg`.
"""
import argparse

from selfkd_seg.apis.config import load_config, prepare_test_cfg
from selfkd_seg.apis.runtime import (add_launch_args, build_runner,
                                     parse_launch_args, run_session)


def parse_args(argv=None):
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
    add_launch_args(parser, 'override config settings')
    return parse_launch_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    prepare_test_cfg(
        cfg,
        args.config,
        args.checkpoint,
        work_dir=args.work_dir,
        out=args.out,
        show=args.show,
        show_dir=args.show_dir,
        wait_time=args.wait_time,
        launcher=args.launcher,
        interval=args.interval)
    with run_session(cfg) as run:  # loader workers, then the process group
        run.runner = build_runner(cfg)
        metrics = run.runner.test()
        run.clean = True
    return metrics

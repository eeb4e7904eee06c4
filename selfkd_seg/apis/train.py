"""``tools/train.py``: train a segmentor (mmseg config) or a classifier
(mmpretrain config).

:func:`main` takes the script's arguments (``argv``; ``None``: the command
line) and returns the runner after training.  Ctrl-C/SIGTERM exits with
:data:`EXIT_CODES` (130/143) after saving ``interrupted_iter_<N>.pth``, a
NaN/inf loss with :data:`EXIT_NONFINITE_LOSS` (3), a full disk with
:data:`EXIT_DISK_FULL` (4); see docs/reliability.md.
"""
import argparse
import sys

from selfkd_seg.apis.config import (apply_speed_options, load_config,
                                    prepare_train_cfg)
from selfkd_seg.apis.runtime import (add_launch_args, build_runner,
                                     parse_launch_args, run_session)
from selfkd_seg.engine import DiskFullError
from selfkd_seg.engine.hooks import NonFiniteLossError, TrainingInterrupted

EXIT_CODES = {'SIGINT': 130, 'SIGTERM': 143}
EXIT_NONFINITE_LOSS = 3
EXIT_DISK_FULL = 4


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a selfkd_seg model (mmseg or mmpretrain config)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or without a value from the '
        'latest checkpoint in the work_dir')
    parser.add_argument(
        '--amp',
        nargs='?',
        const='auto',
        default=False,
        choices=['auto', 'bf16', 'fp16'],
        help='mixed precision: without a value bfloat16 autocast on CPU and '
        'on GPUs with bfloat16, float16 + loss scaling on older GPUs; '
        '"bf16" or "fp16" to choose')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        default=None,
        help='channels_last memory format for weights and activations '
        '(config key channels_last)')
    parser.add_argument(
        '--compile',
        nargs='?',
        const='default',
        default=None,
        choices=['default', 'reduce-overhead', 'max-autotune',
                 'max-autotune-no-cudagraphs'],
        help="torch.compile the train step through mmengine's compile "
        'config key (optionally a torch.compile mode)')
    parser.add_argument(
        '--cudnn-benchmark',
        action='store_true',
        default=None,
        help='env_cfg.cudnn_benchmark=True (fixed-size crops)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the real batch size / auto_scale_lr.'
        'base_batch_size')
    add_launch_args(
        parser, 'override config settings, e.g. train_cfg.max_iters=100')
    return parse_launch_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    prepare_train_cfg(
        cfg,
        args.config,
        work_dir=args.work_dir,
        resume=args.resume or False,
        amp=args.amp,
        auto_scale_lr=args.auto_scale_lr,
        launcher=args.launcher)
    apply_speed_options(
        cfg,
        channels_last=args.channels_last,
        compile=args.compile,
        cudnn_benchmark=args.cudnn_benchmark)
    with run_session(cfg) as run:
        try:
            run.runner = build_runner(cfg)
            run.runner.train()
            run.clean = True
        except TrainingInterrupted as stop:
            run.runner.logger.warning(str(stop))
            run.clean = True  # every rank stopped after the same iteration
            sys.exit(EXIT_CODES.get(stop.signal_name, 130))
        except NonFiniteLossError as err:
            run.runner.logger.error(f'NonFiniteLossError: {err}')
            run.clean = True  # all ranks agree on the stop (NonFiniteLossHook)
            sys.exit(EXIT_NONFINITE_LOSS)
        except DiskFullError as err:
            run.runner.logger.error(f'DiskFullError: {err.strerror}')
            sys.exit(EXIT_DISK_FULL)
    return run.runner

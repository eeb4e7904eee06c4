"""Train a segmentor (mmseg config) or a classifier (mmpretrain config).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
        [--amp [{bf16,fp16}]] [--channels-last] [--compile [MODE]]
        [--cudnn-benchmark] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

Speed switches (docs/performance.md): ``--amp`` bf16 autocast (CPU and GPUs
with bfloat16; fp16 + loss scaling on older GPUs or with ``--amp fp16``),
``--channels-last`` NHWC weights and activations, ``--compile`` mmengine's
``compile`` (torch.compile of the train step), ``--cudnn-benchmark``.

Ctrl-C (or SIGTERM) finishes the running iteration, saves
``interrupted_iter_<N>.pth`` and exits with status 130 (143 for SIGTERM);
``--resume`` continues from it. A NaN/inf loss stops with status 3 and a
message naming the loss term; a full disk stops with status 4 and a message
naming the folder and the bytes needed. See docs/reliability.md.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

import selfkd_seg  # noqa: E402,F401  (applies compat, registers modules)
import torch.distributed as dist  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from selfkd_seg.engine import DiskFullError  # noqa: E402
from selfkd_seg.engine.cli import (  # noqa: E402
    apply_speed_options, init_cpu_distributed, load_config, prepare_train_cfg,
    teardown)
from selfkd_seg.engine.hooks import (NonFiniteLossError,  # noqa: E402
                                     TrainingInterrupted)

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
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=100')
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
    # the process group is ours to destroy if it does not exist yet
    owns_group = not (dist.is_available() and dist.is_initialized())
    init_cpu_distributed(cfg)  # mmengine's init_dist needs a GPU
    runner = None
    clean = False
    try:
        if 'runner_type' in cfg:
            runner = RUNNERS.build(cfg)
        else:
            runner = Runner.from_cfg(cfg)
        runner.train()
        clean = True
    except TrainingInterrupted as stop:
        runner.logger.warning(str(stop))
        clean = True  # every rank stopped after the same iteration
        sys.exit(EXIT_CODES.get(stop.signal_name, 130))
    except NonFiniteLossError as err:
        runner.logger.error(f'NonFiniteLossError: {err}')
        clean = True  # all ranks agree on the stop (NonFiniteLossHook)
        sys.exit(EXIT_NONFINITE_LOSS)
    except DiskFullError as err:
        runner.logger.error(f'DiskFullError: {err.strerror}')
        sys.exit(EXIT_DISK_FULL)
    finally:
        # workers, signal handlers and the process group, in that order
        teardown(runner, owns_process_group=owns_group, clean=clean)
    return runner


if __name__ == '__main__':
    main()

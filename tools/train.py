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

# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from selfkd_seg.apis.train import train  # noqa: E402
from selfkd_seg.engine import DiskFullError  # noqa: E402
from selfkd_seg.engine.hooks import NonFiniteLossError  # noqa: E402
from selfkd_seg.engine.hooks import TrainingInterrupted

# exit statuses of a run that stops early (docs/reliability.md)
EXIT_CODES = {'SIGINT': 130, 'SIGTERM': 143}
EXIT_NONFINITE_LOSS = 3
EXIT_DISK_FULL = 4


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction  # after selfkd_seg's compat
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
        choices=[
            'default', 'reduce-overhead', 'max-autotune',
            'max-autotune-no-cudagraphs'
        ],
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
    """Train as the command line ``argv`` (None: ``sys.argv``) says; return
    the runner, or exit with the status of an early stop."""
    args = parse_args(argv)
    try:
        return train(
            args.config,
            work_dir=args.work_dir,
            resume=args.resume or False,
            amp=args.amp,
            auto_scale_lr=args.auto_scale_lr,
            channels_last=args.channels_last,
            compile=args.compile,
            cudnn_benchmark=args.cudnn_benchmark,
            cfg_options=args.cfg_options,
            launcher=args.launcher)
    except TrainingInterrupted as stop:
        sys.exit(EXIT_CODES.get(stop.signal_name, 130))
    except NonFiniteLossError:
        sys.exit(EXIT_NONFINITE_LOSS)
    except DiskFullError:
        sys.exit(EXIT_DISK_FULL)


if __name__ == '__main__':
    main()

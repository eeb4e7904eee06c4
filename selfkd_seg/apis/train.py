"""Train a segmentor (mmseg config) or a classifier (mmpretrain config):
:func:`train`, what ``tools/train.py`` calls after parsing its command line.

A run that stops early raises, after logging the reason and tearing the
run down (loader workers, signal handlers, the process group it created):
:class:`~selfkd_seg.engine.hooks.TrainingInterrupted` after Ctrl-C/SIGTERM
(``interrupted_iter_<N>.pth`` is saved),
:class:`~selfkd_seg.engine.hooks.NonFiniteLossError` on a NaN/inf loss and
:class:`~selfkd_seg.engine.DiskFullError` on a full disk.
``tools/train.py`` turns them into the exit statuses 130/143, 3 and 4; see
docs/reliability.md.
"""
from typing import Optional, Union

from selfkd_seg.apis.config import (apply_speed_options, load_config,
                                    prepare_train_cfg)
from selfkd_seg.apis.runtime import build_runner, run_session
from selfkd_seg.engine import DiskFullError
from selfkd_seg.engine.hooks import NonFiniteLossError, TrainingInterrupted


def train(config: str,
          work_dir: Optional[str] = None,
          resume: Union[bool, str] = False,
          amp: Union[bool, str] = False,
          auto_scale_lr: bool = False,
          channels_last: Optional[bool] = None,
          compile: Optional[str] = None,
          cudnn_benchmark: Optional[bool] = None,
          cfg_options: Optional[dict] = None,
          launcher: str = 'none'):
    """Train the model of ``config`` and return the runner after training.

    Args:
        config: a config file (or ``selfkd_seg::<path>``,
            :func:`~selfkd_seg.apis.config.load_config`).
        work_dir: where logs and checkpoints go (default: the config's
            ``work_dir`` or ``work_dirs/<config name>``).
        resume: False, True/``'auto'`` (the latest complete checkpoint in
            ``work_dir``) or a checkpoint path.
        amp: False, ``'auto'`` (bf16 autocast where supported, else fp16 +
            loss scaling), ``'bf16'`` or ``'fp16'``.
        auto_scale_lr: scale the lr by the real batch size /
            ``auto_scale_lr.base_batch_size``.
        channels_last, compile, cudnn_benchmark: the fast path's switches
            (:func:`~selfkd_seg.apis.config.apply_speed_options`; None: the
            config's own setting).
        cfg_options: config overrides, e.g. ``{'train_cfg.max_iters': 100}``.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Raises:
        TrainingInterrupted, NonFiniteLossError, DiskFullError: see the
            module docstring; the error is logged first.
    """
    cfg = load_config(config, cfg_options)
    prepare_train_cfg(
        cfg,
        config,
        work_dir=work_dir,
        resume=resume or False,
        amp=amp,
        auto_scale_lr=auto_scale_lr,
        launcher=launcher)
    apply_speed_options(
        cfg,
        channels_last=channels_last,
        compile=compile,
        cudnn_benchmark=cudnn_benchmark)
    with run_session(cfg) as run:
        try:
            run.runner = build_runner(cfg)
            run.runner.train()
            run.clean = True
        except TrainingInterrupted as stop:
            run.runner.logger.warning(str(stop))
            run.clean = True  # every rank stopped after the same iteration
            raise
        except NonFiniteLossError as err:
            run.runner.logger.error(f'NonFiniteLossError: {err}')
            run.clean = True  # all ranks agree on the stop (NonFiniteLossHook)
            raise
        except DiskFullError as err:
            run.runner.logger.error(f'DiskFullError: {err.strerror}')
            raise
    return run.runner

"""Ctrl-C / SIGTERM: finish the step, save, stop cleanly."""
import os.path as osp
import signal
import threading
from typing import Optional, Sequence

import torch
from mmengine import dist
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from selfkd_seg.engine.checkpoint_io import atomic_write_text
from selfkd_seg.registry import HOOKS


class TrainingInterrupted(Exception):
    """Raised after the interrupted checkpoint is on disk.

    Attributes:
        checkpoint (str): The checkpoint written.
        signal_name (str): 'SIGINT' or 'SIGTERM'.
    """

    def __init__(self, checkpoint: str, signal_name: str, iteration: int):
        self.checkpoint = checkpoint
        self.signal_name = signal_name
        self.iteration = iteration
        super().__init__(
            f'training interrupted by {signal_name} after iteration '
            f'{iteration}; saved {checkpoint}. Continue with --resume.')


@HOOKS.register_module()
class InterruptCheckpointHook(Hook):
    """Turn Ctrl-C (SIGINT) or SIGTERM into a checkpoint and a clean stop.

    A ``KeyboardInterrupt`` can land in the middle of the optimizer step, with
    half of the parameters updated, so the hook does not save from inside
    the signal handler: the handler only sets a flag, the running iteration
    finishes, and ``after_train_iter`` (after every other hook) writes
    ``interrupted_iter_<N>.pth``, points ``last_checkpoint`` at it, and raises
    :class:`TrainingInterrupted` (``tools/train.py`` prints its message and
    exits).  A second Ctrl-C aborts at once.  SIGTERM is what SLURM and
    most schedulers send before killing a job.  In distributed training the
    ranks agree on the flag (one small ``all_reduce`` per iteration), so
    they all stop after the same iteration.

    Iteration-based loops resume from it exactly; epoch-based loops resume
    mmengine-style at the start of the interrupted epoch.  The handlers are
    removed after training; if training ends with another exception they
    stay until the process exits (as ``tools/train.py`` does).

    Args:
        signals (Sequence[str]): Signals to catch. Default: SIGINT, SIGTERM.
        filename_tmpl (str): Checkpoint name; ``{}`` is the iteration.
    """

    priority = 'LOWEST'  # after CheckpointHook and every state hook

    def __init__(self,
                 signals: Sequence[str] = ('SIGINT', 'SIGTERM'),
                 filename_tmpl: str = 'interrupted_iter_{}.pth'):
        for name in signals:
            if not isinstance(getattr(signal, name, None), signal.Signals):
                raise ValueError(
                    f'InterruptCheckpointHook: unknown signal {name!r}')
        self.signals = tuple(signals)
        self.filename_tmpl = filename_tmpl
        self.received: Optional[str] = None
        self._previous = {}

    # ------------------------------------------------------------ signals
    def _handler(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if self.received is not None and signum == signal.SIGINT:
            self._uninstall()
            raise KeyboardInterrupt
        self.received = name
        print_log(
            f'{name} received: finishing the current iteration, then saving '
            'a checkpoint (press Ctrl-C again to abort without saving)',
            logger='current')

    def _install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set in the main thread
        for name in self.signals:
            sig = getattr(signal, name)
            self._previous[sig] = signal.signal(sig, self._handler)

    def _uninstall(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def restore_signal_handlers(self) -> None:
        """Put back the handlers found before training (idempotent)."""
        self._uninstall()

    def before_train(self, runner) -> None:
        self.received = None
        self._install()

    def after_train(self, runner) -> None:
        self._uninstall()

    # --------------------------------------------------------------- stop
    def _agreed_signal(self) -> Optional[str]:
        if dist.get_world_size() == 1:
            return self.received
        code = 0 if self.received is None else (
            1 if self.received == 'SIGINT' else 2)
        flag = torch.tensor([code])
        dist.all_reduce(flag, op='max')
        return {0: None, 1: 'SIGINT'}.get(int(flag.item()), 'SIGTERM')

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        name = self._agreed_signal()
        if name is None:
            return
        step = runner.iter + 1
        out_dir = runner.work_dir
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and getattr(
                    hook, 'out_dir', None):
                out_dir = hook.out_dir
                break
        filename = self.filename_tmpl.format(step)
        path = osp.join(out_dir, filename)
        runner.save_checkpoint(out_dir, filename, by_epoch=False)
        if dist.is_main_process():
            atomic_write_text(path, osp.join(runner.work_dir,
                                             'last_checkpoint'))
            runner.message_hub.update_info('last_ckpt', path)
        dist.barrier()  # no rank exits before the file is complete
        self._uninstall()
        raise TrainingInterrupted(path, name, step)

"""Starting and ending a training or test run (``apis.train.train``,
``apis.test.test``): the process group on machines without GPU, building the
runner, and the ordered teardown.  The command-line arguments are the
tools' (``tools/train.py``, ``tools/test.py``).

Preparing the config is :mod:`selfkd_seg.apis.config`.
"""
import contextlib
import os
from dataclasses import dataclass
from typing import Any

import torch
from mmengine.config import Config


def init_cpu_distributed(cfg: Config) -> bool:
    """Start the process group on a machine without GPU.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` for the
    pytorch and slurm launchers, so CPU multi-process training fails before
    it starts.  Here the group is initialised from the launcher's
    environment (torchrun: RANK/WORLD_SIZE/MASTER_*; SLURM: SLURM_PROCID/
    SLURM_NTASKS/SLURM_LOCALID, MASTER_ADDR/MASTER_PORT default to
    127.0.0.1:29500 as in mmengine); the Runner then finds it initialised.
    Returns True if it initialised the group.
    """
    import torch.distributed as torch_dist
    launcher = cfg.get('launcher', 'none')
    if launcher not in ('pytorch', 'slurm') or torch.cuda.is_available() \
            or torch_dist.is_initialized():
        return False
    if launcher == 'slurm':
        os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
        os.environ.setdefault('MASTER_PORT', '29500')
        os.environ['RANK'] = os.environ['SLURM_PROCID']
        os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
        os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    backend = dist_cfg.pop('backend', 'gloo')
    if 'timeout' in dist_cfg:
        import datetime
        dist_cfg['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    torch_dist.init_process_group(
        backend=backend, init_method='env://', **dist_cfg)
    return True


def _shutdown_loader_workers(loader) -> None:
    """Stop the worker processes of a (persistent-worker) DataLoader."""
    iterator = getattr(loader, '_iterator', None)
    if iterator is not None and hasattr(iterator, '_shutdown_workers'):
        iterator._shutdown_workers()
    if iterator is not None:
        loader._iterator = None


def teardown(runner=None,
             owns_process_group: bool = True,
             clean: bool = True) -> None:
    """Release what a run started, in order, so the process exits cleanly.

    1. signal handlers of ``InterruptCheckpointHook`` (also after an error);
    2. data loader worker processes (persistent workers stay alive
       otherwise until interpreter shutdown);
    3. the process group, if this run created it (``owns_process_group``):
       a barrier first when the run ended ``clean`` (no rank tears the group
       down while another still uses it), then ``destroy_process_group``.
       Left to interpreter shutdown, gloo's threads are destroyed while
       running and the process can abort with "terminate called without an
       active exception" (SIGABRT) after a correct run.
    """
    import torch.distributed as torch_dist
    if runner is not None:
        for hook in getattr(runner, '_hooks', []):
            if hasattr(hook, 'restore_signal_handlers'):
                hook.restore_signal_handlers()
        for name in ('_train_loop', '_val_loop', '_test_loop'):
            loop = getattr(runner, name, None)
            loader = getattr(loop, 'dataloader', None)
            if loader is not None and not isinstance(loop, dict):
                _shutdown_loader_workers(loader)
                inner = getattr(
                    getattr(loop, 'dataloader_iterator', None), '_dataloader',
                    None)
                if inner is not None:
                    _shutdown_loader_workers(inner)
    if owns_process_group and torch_dist.is_available() \
            and torch_dist.is_initialized():
        if clean:
            torch_dist.barrier()
        torch_dist.destroy_process_group()


@dataclass
class RunState:
    """What :func:`run_session` tears down: the runner once built, and
    whether the run ended ``clean`` (every rank got to the same point)."""
    runner: Any = None
    clean: bool = False


@contextlib.contextmanager
def run_session(cfg: Config):
    """Start the process group where mmengine cannot (no GPU), yield a
    :class:`RunState`, and :func:`teardown` on the way out (also on
    ``sys.exit`` and errors).  A process group that exists already belongs
    to the caller and is left alone."""
    import torch.distributed as torch_dist

    # the process group is ours to destroy if it does not exist yet
    owns_group = not (torch_dist.is_available()
                      and torch_dist.is_initialized())
    init_cpu_distributed(cfg)  # mmengine's init_dist needs a GPU
    state = RunState()
    try:
        yield state
    finally:
        # workers, signal handlers and the process group, in that order
        teardown(
            state.runner, owns_process_group=owns_group, clean=state.clean)


def build_runner(cfg: Config):
    """The config's ``runner_type`` (mmpretrain, custom runners) or
    mmengine's ``Runner``."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)

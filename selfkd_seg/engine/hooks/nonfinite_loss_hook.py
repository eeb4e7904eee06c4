"""Stop training at the first non-finite loss, naming the loss term."""
import math
from typing import Dict

import torch
from mmengine import dist
from mmengine.hooks import Hook

from selfkd_seg.registry import HOOKS


class NonFiniteLossError(RuntimeError):
    """Raised by :class:`NonFiniteLossHook`; the message says what and when."""


def nonfinite_terms(log_vars: dict) -> Dict[str, float]:
    """The loss entries of ``log_vars`` that are NaN or infinite.

    The total ``loss`` is only reported when no single term explains it
    (finite terms can still overflow when summed).
    """
    bad = {}
    for key, value in (log_vars or {}).items():
        if 'loss' not in key:
            continue  # accuracies etc. are logged only
        if isinstance(value, torch.Tensor):
            value = value.detach().float().mean().item()
        value = float(value)
        if not math.isfinite(value):
            bad[key] = value
    if len(bad) > 1:
        bad.pop('loss', None)
    return bad


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop with a clear error when a loss term becomes NaN or infinite.

    Runs right after each training step, before any hook that saves or
    blends parameters (``CheckpointHook``, ``SelfDistillHook``), so the
    parameters of the bad step are never written: the newest checkpoint on
    disk is the last good one, and the error names it together with the
    iteration and every non-finite term (e.g. ``decode.loss_ce=nan``).  In
    distributed training the ranks agree on the decision (one small
    ``all_reduce``), so all of them stop at the same iteration.

    Args:
        check_interval (int): Check every ``check_interval`` iterations.
            Defaults to 1.
    """

    priority = 'VERY_HIGH'

    def __init__(self, check_interval: int = 1):
        if not isinstance(check_interval, int) or check_interval < 1:
            raise ValueError('NonFiniteLossHook: check_interval must be a '
                             f'positive int, got {check_interval!r}')
        self.check_interval = check_interval

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.check_interval):
            return
        bad = nonfinite_terms(outputs)
        if dist.get_world_size() > 1:
            flag = torch.tensor([float(bool(bad))])
            dist.all_reduce(flag, op='sum')
            if flag.item() == 0:
                return
            per_rank = dist.all_gather_object(bad)
            where = '; '.join(f'rank {rank}: ' +
                              ', '.join(f'{k}={v}' for k, v in b.items())
                              for rank, b in enumerate(per_rank) if b)
        elif not bad:
            return
        else:
            where = ', '.join(f'{k}={v}' for k, v in bad.items())
        last = runner.message_hub.get_info('last_ckpt')
        kept = (f'the last good checkpoint is {last} (continue with '
                '--resume)' if last else 'no checkpoint was saved yet')
        raise NonFiniteLossError(
            f'non-finite loss at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}): {where}. Training stopped before the '
            f'parameters of this step were saved; {kept}. Common causes: '
            'a learning rate too high for the batch size, no gradient '
            'clipping, a corrupt label map (ignore_index), float16 '
            'overflow without loss scaling.')

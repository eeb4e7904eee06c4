"""SFD self-distillation: blend the parameters with the previous epoch's."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from selfkd_seg.registry import HOOKS


def hflip_parameter(param: torch.Tensor) -> torch.Tensor:
    """Mirror a conv kernel along its width axis; other tensors unchanged.

    A tensor is treated as a 2-D conv kernel when it is 4-D; kernels of width
    1 (1x1 convs), linear weights, biases and norm parameters are returned as
    they are, since mirroring the input does not change them.
    """
    if param.dim() == 4 and param.shape[-1] > 1:
        return torch.flip(param, dims=[-1])
    return param


@HOOKS.register_module()
class SelfDistillHook(Hook):
    """Self-distillation (SD, eq. 8) / random self-distillation (RSD, eq. 9).

    `Self-boosting for Feature Distillation (Pei, Qu and Zhang, IJCAI 2022)
    <https://www.ijcai.org/proceedings/2022/0131.pdf>`_, section 3.3.  After
    every "epoch" ``t >= 2`` the parameters are blended with those saved at
    the end of the previous one::

        theta_t <- tau * theta_t + (1 - tau) * theta'_{t-1}

    with ``theta'_{t-1} = theta_{t-1}`` (SD, ``random_flip=False``) or, for
    RSD, ``hflip(theta_{t-1})`` with probability ``flip_prob`` (one decision
    for the whole network: conv kernels wider than 1 are mirrored along their
    width axis, see :func:`hflip_parameter`).  No extra forward pass is run.

    Choices where the paper is silent (ours):

    - Which parameters: every parameter that requires grad and whose
      top-level attribute is not in ``exclude_prefixes`` (default: the frozen
      ``teacher``).  That is the student f, q *and* the integrator g (the
      paper's "network's parameters" in training are f, g and q), and a
      self-teacher if the model has one.
    - Buffers (BN running statistics) are not blended: eq. 8 is about the
      parameters, and statistics of a mirrored network would not match.
    - ``theta_{t-1}`` is the network as it was at the end of epoch ``t-1``,
      i.e. after that epoch's own blend: one snapshot is kept and updated in
      place after each blend.
    - ``tau`` grows linearly from ``tau[0]`` to ``tau[1]`` with the training
      progress ``completed epochs / max_epochs`` (or iterations / max_iters),
      Table 2's best setting (0.995 -> 0.999).  A float keeps tau constant.
    - Iteration-based schedules: an "epoch" is ``interval`` iterations
      (``by_epoch=False``); ``interval=None`` means one pass over the train
      dataloader.  With ``by_epoch=True`` ``interval`` counts epochs
      (default 1).
    - The flip decisions come from a generator seeded with ``seed`` (default:
      the runner's seed) and are broadcast from rank 0, so all DDP ranks
      blend alike.

    The snapshot, the generator state and the update count are saved in the
    checkpoint (``checkpoint['self_distill_state']``) and restored on load, so
    ``--resume`` continues exactly.

    Args:
        tau (float | Sequence[float]): Weight of the current parameters:
            constant, or ``(start, end)`` of a linear schedule; in (0, 1).
        random_flip (bool): RSD (True) or SD (False). Default: True.
        flip_prob (float): Probability of mirroring the snapshot. Default 0.5.
        interval (int, optional): Blend every ``interval`` epochs
            (``by_epoch=True``, default 1) or iterations (default: iterations
            per epoch).
        by_epoch (bool): Count ``interval`` in epochs or iterations.
        seed (int, optional): Seed of the flip decisions.
        exclude_prefixes (Sequence[str]): Top-level attributes never blended.
        priority (str | int): Hook priority. Default: 'NORMAL' (before the
            checkpoint hook, so saved checkpoints hold blended parameters).
    """

    def __init__(self,
                 tau: Union[float, Sequence[float]] = (0.995, 0.999),
                 random_flip: bool = True,
                 flip_prob: float = 0.5,
                 interval: Optional[int] = None,
                 by_epoch: bool = True,
                 seed: Optional[int] = None,
                 exclude_prefixes: Sequence[str] = ('teacher', ),
                 priority: Union[str, int] = 'NORMAL'):
        taus = (tau, tau) if isinstance(tau, (int, float)) else tuple(tau)
        if len(taus) != 2 or not all(0 < t < 1 for t in taus):
            raise ValueError('SelfDistillHook: tau must be a float or a '
                             f'(start, end) pair inside (0, 1), got {tau}')
        if not 0 <= flip_prob <= 1:
            raise ValueError(
                f'SelfDistillHook: flip_prob must be in [0, 1], got '
                f'{flip_prob}')
        if interval is not None and (not isinstance(interval, int)
                                     or interval < 1):
            raise ValueError('SelfDistillHook: interval must be a positive '
                             f'int or None, got {interval}')
        self.tau = taus
        self.random_flip = random_flip
        self.flip_prob = flip_prob
        self.interval = interval
        self.by_epoch = by_epoch
        self.seed = seed
        self.exclude_prefixes = tuple(exclude_prefixes)
        self.priority = priority

        self._snapshot: Optional[Dict[str, torch.Tensor]] = None
        self._generator: Optional[torch.Generator] = None
        self.num_updates = 0  # blends done so far
        self.last_flip: Optional[bool] = None
        self.last_tau: Optional[float] = None

    # ------------------------------------------------------------------ state
    def blended_parameters(self, runner) -> Dict[str, nn.Parameter]:
        """The parameters the hook blends, by name (unwrapped model)."""
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        params = {
            name: p
            for name, p in model.named_parameters() if p.requires_grad
            and name.split('.', 1)[0] not in self.exclude_prefixes
        }
        if not params:
            raise RuntimeError(
                f'SelfDistillHook: {type(model).__name__} has no trainable '
                f'parameter outside {self.exclude_prefixes} to blend')
        return params

    def _iters_per_interval(self, runner) -> int:
        if self.interval is not None:
            return self.interval
        if self.by_epoch:
            return 1
        try:
            return len(runner.train_dataloader)
        except TypeError as e:
            raise ValueError(
                'SelfDistillHook(by_epoch=False): set interval (iterations '
                'per "epoch"); the train dataloader has no length') from e

    def current_tau(self, runner) -> float:
        """Linear tau schedule over the training progress."""
        if self.by_epoch:
            progress = (runner.epoch + 1) / runner.max_epochs
        else:
            progress = (runner.iter + 1) / runner.max_iters
        progress = min(max(progress, 0.0), 1.0)
        return self.tau[0] + (self.tau[1] - self.tau[0]) * progress

    def _decide_flip(self, runner) -> bool:
        if not self.random_flip:
            return False
        if self._generator is None:
            seed = self.seed if self.seed is not None else getattr(
                runner, 'seed', 0)
            self._generator = torch.Generator().manual_seed(int(seed or 0))
        draw = torch.rand(1, generator=self._generator) < self.flip_prob
        flag = draw.to(torch.uint8)
        dist.broadcast(flag, src=0)  # no-op outside distributed training
        return bool(flag.item())

    # ------------------------------------------------------------- the update
    def before_train(self, runner) -> None:
        self.blended_parameters(runner)  # fail early on a frozen model
        self._iters_per_interval(runner)

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and (runner.epoch +
                              1) % self._iters_per_interval(runner) == 0:
            self.update(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not self.by_epoch and (runner.iter +
                                  1) % self._iters_per_interval(runner) == 0:
            self.update(runner)

    @torch.no_grad()
    def update(self, runner) -> None:
        """Blend with the snapshot (if any), then refresh the snapshot."""
        params = self.blended_parameters(runner)
        if self._snapshot is None:
            self._snapshot = {n: p.detach().clone() for n, p in params.items()}
            return
        if self._snapshot.keys() != params.keys():
            missing = sorted(params.keys() - self._snapshot.keys())
            extra = sorted(self._snapshot.keys() - params.keys())
            raise KeyError('SelfDistillHook: the saved parameters do not '
                           f'match the model: missing {missing[:5]}, '
                           f'unexpected {extra[:5]}')
        tau = self.current_tau(runner)
        flip = self._decide_flip(runner)
        for name, param in params.items():
            prev = self._snapshot[name]
            if prev.device != param.device or prev.dtype != param.dtype:
                prev = self._snapshot[name] = prev.to(param)
            if prev.shape != param.shape:
                raise ValueError(
                    f'SelfDistillHook: saved {name} has shape '
                    f'{tuple(prev.shape)}, the model {tuple(param.shape)}')
            if flip:
                prev = hflip_parameter(prev)
            param.mul_(tau).add_(prev, alpha=1 - tau)
            self._snapshot[name].copy_(param)
        self.num_updates += 1
        self.last_tau, self.last_flip = tau, flip

    # ------------------------------------------------------------- checkpoint
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        snapshot = None if self._snapshot is None else {
            n: t.detach().cpu()
            for n, t in self._snapshot.items()
        }
        checkpoint['self_distill_state'] = dict(
            snapshot=snapshot,
            generator=None
            if self._generator is None else self._generator.get_state(),
            num_updates=self.num_updates)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('self_distill_state')
        if state is None:
            return
        self._snapshot = state['snapshot']
        if state['generator'] is not None:
            self._generator = torch.Generator()
            self._generator.set_state(state['generator'])
        self.num_updates = state['num_updates']

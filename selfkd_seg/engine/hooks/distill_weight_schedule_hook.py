"""Warm-up then sigmoid ramp of the distillation weights (FRSKD seg code)."""
import logging
import math
from typing import Optional, Tuple

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from selfkd_seg.models.distillers import DistillWeights
from selfkd_seg.registry import HOOKS


def sigmoid_rampup(progress: float, warmup: float, ramp: float) -> float:
    """0 during ``warmup``, then ``exp(-5 (1 - t)^2)`` with t in [0, 1].

    ``t = (progress - warmup) / ramp``, clipped; ``ramp == 0`` jumps to 1.
    This is the Mean-Teacher ramp that FRSKD's segmentation code applies to
    its distillation terms.
    """
    if progress < warmup:
        return 0.0
    if ramp <= 0:
        return 1.0
    t = min(max((progress - warmup) / ramp, 0.0), 1.0)
    return math.exp(-5.0 * (1.0 - t)**2)


@HOOKS.register_module()
class DistillWeightScheduleHook(Hook):
    """Scale a model's distillation weights by a warm-up + ramp schedule.

    The model must have a ``distill_weights`` dict (``FRSKDSegmentor``,
    ``FRSKDClassifier``, the SFD distillers): a :class:`DistillWeights`
    holding the config's (full) weights.  Before every training iteration
    the hook calls ``distill_weights.scale(factor)`` with ``factor =
    sigmoid_rampup(progress + 1, warmup, ramp)`` for ``progress >= warmup``
    (0 before); nothing is read back from the model.  Progress is the
    0-based epoch index (``by_epoch=True``) or the iteration index.

    By default the schedule is a fraction of training: the paper's 40
    warm-up and 20 ramp epochs of 60 are ``warmup_ratio=2/3`` and
    ``ramp_ratio=1/3`` of ``max_epochs`` (or ``max_iters``), so a config that
    changes the length of training keeps the shape (full weight in the last
    epoch, as in the authors' code).  ``warmup``/``ramp`` set absolute
    counts instead.  A schedule that leaves the weights at 0 for the whole
    run is reported with a warning at the start.

    The factor is a pure function of the runner's epoch/iteration, which
    checkpoints restore, so a resumed run continues the same schedule; the
    full weights stay in ``distill_weights.full`` (from the config), so the
    hook has no state to save.

    Args:
        warmup (float, optional): Epochs (or iterations) with weight 0.
            Defaults to None: ``warmup_ratio`` of training.
        ramp (float, optional): Epochs (or iterations) of the ramp to full
            weight. Defaults to None: ``ramp_ratio`` of training.
        by_epoch (bool): Count epochs (True) or iterations.
        keys (tuple[str], optional): Which weights to schedule; default all.
        warmup_ratio (float): Warm-up as a fraction of training, used when
            ``warmup`` is None. Defaults to 2/3.
        ramp_ratio (float): Ramp as a fraction of training, used when
            ``ramp`` is None. Defaults to 1/3.
    """

    priority = 'NORMAL'

    def __init__(self,
                 warmup: Optional[float] = None,
                 ramp: Optional[float] = None,
                 by_epoch: bool = True,
                 keys: Optional[tuple] = None,
                 warmup_ratio: float = 2 / 3,
                 ramp_ratio: float = 1 / 3):
        for name, value in (('warmup', warmup), ('ramp', ramp),
                            ('warmup_ratio', warmup_ratio), ('ramp_ratio',
                                                             ramp_ratio)):
            if value is not None and value < 0:
                raise ValueError(
                    f'DistillWeightScheduleHook: {name} must be >= 0, got '
                    f'{value}')
        self.warmup = warmup
        self.ramp = ramp
        self.warmup_ratio = warmup_ratio
        self.ramp_ratio = ramp_ratio
        self.by_epoch = by_epoch
        self.keys = tuple(keys) if keys is not None else None

    def schedule(self, total: int) -> Tuple[float, float]:
        """(warmup, ramp) in epochs/iterations for ``total`` of training."""
        warmup = self.warmup if self.warmup is not None else round(
            self.warmup_ratio * total)
        ramp = self.ramp if self.ramp is not None else round(self.ramp_ratio *
                                                             total)
        return warmup, ramp

    def _total(self, runner) -> int:
        return runner.max_epochs if self.by_epoch else runner.max_iters

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        weights = getattr(model, 'distill_weights', None)
        if not isinstance(weights, dict):
            raise AttributeError(
                f'{type(model).__name__} has no distill_weights dict; '
                'DistillWeightScheduleHook only works with distillation '
                'models (FRSKDSegmentor, FRSKDClassifier, SFD distillers)')
        if not isinstance(weights, DistillWeights):  # a plain dict: full
            weights = model.distill_weights = DistillWeights(**weights)
        missing = set(self.keys or ()) - set(weights.full)
        if missing:
            raise KeyError(f'keys {sorted(missing)} are not distillation '
                           f'weights of the model ({sorted(weights)})')
        total = self._total(runner)
        warmup, ramp = self.schedule(total)
        unit = 'epochs' if self.by_epoch else 'iterations'
        if warmup >= total and any(weights.full.values()):
            print_log(
                f'DistillWeightScheduleHook: warm-up of {warmup:g} {unit} '
                f'in a run of {total} {unit}: the distillation weights '
                f'{sorted(weights.full)} stay 0 for the whole run, so '
                'this trains the baseline. Use the default fractions '
                '(warmup_ratio/ramp_ratio) or a warmup below the run length.',
                logger='current',
                level=logging.WARNING)
        else:
            print_log(
                f'DistillWeightScheduleHook: distillation weights 0 for '
                f'{warmup:g} {unit}, then a ramp of {ramp:g} to full weight '
                f'(run of {total} {unit})',
                logger='current')

    def factor(self, runner) -> float:
        """The authors' ``sigmoid_rampup(epoch + 1 - warmup, ramp)``.

        The 0-based epoch (iteration) being trained counts as completed, so
        the first ramp epoch trains at ``exp(-5 (1 - 1/ramp)^2)`` and the
        last one (epoch 59 of FRSKD's 60) at full weight.
        """
        progress = runner.epoch if self.by_epoch else runner.iter
        warmup, ramp = self.schedule(self._total(runner))
        if progress < warmup:
            return 0.0
        return sigmoid_rampup(progress + 1, warmup, ramp)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._model(runner).distill_weights.scale(
            self.factor(runner), self.keys)

    def after_train(self, runner) -> None:
        # leave the model with its full weights (e.g. for a later val/test)
        self._model(runner).distill_weights.scale(1.0)

"""One margin provider for the Overhaul loss, for every distiller.

Vocabulary (``distill.margin``):

- ``'bn'``: Overhaul's Gaussian margin of the BN before each target ReLU
  (:func:`bn_margin`).  Recomputed only when those BN parameters change: once
  for a frozen teacher, every step for a self-teacher that trains.
- ``'bn_init'``: the same, taken once at build time and kept as buffers
  (``level<i>``, saved in checkpoints; the FRSKD code's choice).
- ``'running'``: :class:`RunningMarginEstimator` per level (children ``<i>``),
  the running mean of the negative target responses, for any teacher.
- ``None``: no margin (losses without one).
"""
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn

from selfkd_seg.models.losses import RunningMarginEstimator, bn_margin

MARGINS = ('bn', 'bn_init', 'running', None)
NormsFn = Callable[[], Sequence[nn.Module]]


class MarginProvider(nn.Module):
    """Per-level margins ``m`` of the target ``max(Y, m)``.

    Args:
        source (str | None): One of :data:`MARGINS`.
        channels (list[int]): Channels of each target level.
        norms (callable): Returns the BN before each target level's ReLU;
            called at build time for ``'bn'``/``'bn_init'`` (so an
            unsupported teacher fails early) and by :meth:`forward`.
    """

    def __init__(self, source: Optional[str], channels: Sequence[int],
                 norms: NormsFn):
        super().__init__()
        if source not in MARGINS:
            raise ValueError(f'distill.margin must be one of {MARGINS}, got '
                             f'{source!r}')
        self.source = source
        self.num_levels = len(channels)
        self._cache = (None, None)
        if source == 'running':
            for i, c in enumerate(channels):
                self.add_module(str(i), RunningMarginEstimator(c))
        elif source is not None:
            for i, bn in enumerate(norms()):
                if source == 'bn_init':
                    self.register_buffer(f'level{i}', bn_margin(bn))

    def __getitem__(self, level: int) -> RunningMarginEstimator:
        return self._modules[str(level)]  # 'running': the level's estimator

    def __len__(self) -> int:
        return self.num_levels

    def forward(
            self,
            targets: Optional[Sequence[torch.Tensor]] = None,
            norms: Optional[NormsFn] = None) -> Optional[List[torch.Tensor]]:
        """Margins of every level, or None.

        ``targets`` (pre-ReLU target levels) update ``'running'``; ``norms``
        is needed by ``'bn'``.
        """
        if self.source is None:
            return None
        if self.source == 'running':
            for estimator, t in zip(self.children(), targets or ()):
                estimator.update(t)
            return [est.margin for est in self.children()]
        if self.source == 'bn_init':
            return [getattr(self, f'level{i}') for i in range(len(self))]
        return self._bn_margins(norms())

    def _bn_margins(self, bns: Sequence[nn.Module]) -> List[torch.Tensor]:
        # tensor versions change on every in-place update (optimizer step,
        # load_state_dict): a frozen teacher computes its margins once
        key = tuple((p.data_ptr(), p._version) for bn in bns
                    for p in (bn.weight, bn.bias))
        if self._cache[0] != key:
            self._cache = (key, [bn_margin(bn) for bn in bns])
        return self._cache[1]

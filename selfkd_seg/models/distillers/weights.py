"""The distillation weights of a model, in one place."""


class DistillWeights(dict):
    """The weights in effect (a dict), the config's values and the factor.

    A model reads ``self.distill_weights['alpha']``.  The values given by the
    config stay in :attr:`full`; :class:`DistillWeightScheduleHook` only calls
    :meth:`scale`, so no weight travels back from the hook to the model and a
    resumed run cannot mistake scaled weights for full ones.

    Args:
        **full (float): The config's weights (each >= 0).
    """

    def __init__(self, **full):
        for key, value in full.items():
            if float(value) < 0:
                raise ValueError(f'distill.{key} must be >= 0, got {value}')
        self.full = {key: float(value) for key, value in full.items()}
        super().__init__(self.full)

    def scale(self, factor: float, keys=None) -> None:
        """Set each weight in ``keys`` (default: all) to ``full * factor``."""
        for key in self.full if keys is None else keys:
            self[key] = self.full[key] * factor

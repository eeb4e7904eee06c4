"""What a model declares to the hooks that drive its self-teacher."""
from contextlib import AbstractContextManager
from typing import Optional

try:
    from typing import Protocol, runtime_checkable
except ImportError:  # Python 3.7
    from typing_extensions import Protocol, runtime_checkable


@runtime_checkable
class SelfTeacherLeadTarget(Protocol):
    """A model whose self-teacher :class:`SelfTeacherLeadHook` scores and
    whose gate it feeds (:class:`FRSKDSegMixin` implements it)."""

    ignore_index: int

    def self_teacher_view(self) -> AbstractContextManager:
        """Inside: ``predict``/``val_step`` give the self-teacher's
        predictions."""

    def gate_lead_source(self) -> Optional[str]:
        """What opens the model's gate (``'train_ce'``, ``'held_out'``), or
        None without a gate."""

    def set_held_out_lead(self, lead: float) -> float:
        """Store the held-out lead (mIoU points); returns the gate's
        factor."""

"""Which parts of a distillation model exist only for training.

Every distillation model in selfkd_seg keeps its student under the attribute
names of the plain model (``backbone``, ``neck``, ``decode_head`` / ``head``)
and puts training-only parts under the names below.  Dropping those keys from
a checkpoint gives a checkpoint that the plain student config loads strictly.
"""
import difflib
import inspect
from collections import OrderedDict
from typing import Iterable, Mapping, Optional, Tuple

# Top-level attribute names of training-only submodules.
DISTILL_ONLY_PREFIXES = ('self_teacher', 'teacher', 'integrator',
                         'distill_losses', 'margin_estimator', 'distill_gate')


def _is_distill_only(key: str) -> bool:
    return key.split('.', 1)[0] in DISTILL_ONLY_PREFIXES


def split_student_state_dict(
        state_dict: Mapping) -> Tuple[OrderedDict, OrderedDict]:
    """Split a state dict into (student part, training-only part)."""
    student, extra = OrderedDict(), OrderedDict()
    for key, value in state_dict.items():
        (extra if _is_distill_only(key) else student)[key] = value
    return student, extra


def strip_distill_only(state_dict: Mapping) -> OrderedDict:
    """Return the student's weights only."""
    return split_student_state_dict(state_dict)[0]


def check_config_keys(cfg: Optional[Mapping], allowed: Iterable[str],
                      where: str) -> None:
    """Raise if ``cfg`` has a key outside ``allowed`` (a typo in a config).

    Without this a misspelt option (``distill.alpah=2.0``) is accepted and
    silently ignored.  The error names the key, the closest allowed key and
    every allowed one.
    """
    allowed = sorted(allowed)
    unknown = sorted(set(cfg or {}) - set(allowed))
    if not unknown:
        return
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, allowed, n=1)
        hints.append(f'{key!r}' +
                     (f' (did you mean {close[0]!r}?)' if close else ''))
    raise KeyError(f'{where}: unknown key{"s" if len(unknown) > 1 else ""} '
                   f'{", ".join(hints)}; allowed: {", ".join(allowed)}')


def signature_keys(cls) -> Tuple[str, ...]:
    """The keyword arguments ``cls(...)`` accepts: what a config dict that
    builds it may hold (for :func:`check_config_keys`)."""
    return tuple(name for name, p in inspect.signature(cls).parameters.items()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))

"""Random numbers of a training-only part, drawn apart from the global ones.

A self-teacher is built, initialised and run (dropout, drop-connect) beside
the student.  If it drew from the global generators, a FRSKD student would
start from other weights than the baseline of the same seed and see other
dropout masks at every step, so no same-seed comparison would compare like
with like (issue 30: 26 of 226 student tensors of a DeepLabV3+ differed).
:class:`PrivateRandomStream` runs such a part under generators of its own:
the global CPU and CUDA states are saved, replaced by the part's, and put
back afterwards, so the global stream continues as if the part did not
exist.

The part's stream is a pure function of the global seed in force when the
model was built (``torch.initial_seed()``, what the runner's ``randomness``
sets), the training iteration (mmengine's ``MessageHub`` ``iter``) and the
call count within that iteration: a resumed run draws the same numbers as
the uninterrupted one without any state in the checkpoint.
"""
import zlib
from contextlib import contextmanager
from typing import Optional, Sequence, Union

import torch

_MASK = (1 << 63) - 1


def _mix(*values: int) -> int:
    """A 63-bit seed from integers (deterministic across processes)."""
    data = b''.join(int(v & _MASK).to_bytes(8, 'little') for v in values)
    hi = zlib.crc32(data)
    lo = zlib.adler32(data)
    return ((hi << 32) | lo) & _MASK


def _current_iter() -> Optional[int]:
    """The runner's training iteration, if a runner is driving."""
    try:
        from mmengine.logging import MessageHub
        if not MessageHub._instance_dict:
            return None
        return MessageHub.get_current_instance().get_info('iter')
    except Exception:  # noqa: BLE001  (no runner: counting calls is enough)
        return None


class PrivateRandomStream:
    """The generators of one training-only part (a self-teacher).

    Args:
        name (str): Tells parts apart: two streams built under the same
            global seed with different names draw different numbers.
    """

    def __init__(self, name: str):
        self.name = name
        self.seed = _mix(torch.initial_seed(), zlib.crc32(name.encode()))
        self._iter: Optional[int] = None
        self._calls = 0

    @contextmanager
    def _forked(self, seed: int, device: Optional[torch.device]):
        cuda = (device is not None and device.type == 'cuda')
        devices = [
            device.index
            if device.index is not None else torch.cuda.current_device()
        ] if cuda else []
        with torch.random.fork_rng(devices=devices):
            torch.random.default_generator.manual_seed(seed)
            if cuda:
                with torch.cuda.device(devices[0]):
                    torch.cuda.manual_seed(seed)
            yield

    @contextmanager
    def build(self, phase: int = 0):
        """Construction (``phase`` 0) and initialisation (1) of the part:
        nothing is drawn from (or left changed in) the global generators."""
        with self._forked(_mix(self.seed, 0, phase), None):
            yield

    @contextmanager
    def step(self, device: Optional[torch.device] = None):
        """One forward of the part in training (``device``: where its
        tensors live, so that CUDA dropout draws from the part's stream).

        Under ``torch.compile`` this is a no-op (generator states cannot be
        swapped inside a graph; compiled random ops draw their own way
        anyway): the part then draws from the global stream, and a
        same-seed comparison is exact in eager mode only."""
        if torch.compiler.is_compiling():
            yield
            return
        iteration = _current_iter()
        if iteration is None:
            iteration = -1
        if iteration != self._iter:
            self._iter, self._calls = iteration, 0
        self._calls += 1
        with self._forked(_mix(self.seed, 1, iteration, self._calls), device):
            yield

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r})'


def part_stream(model: torch.nn.Module, part: str) -> PrivateRandomStream:
    """The stream of ``model``'s training-only ``part``, named
    ``<library class>.<part>``: the first selfkd_seg class in the model's
    MRO, so a user's subclass (a new method on a library segmentor) draws
    as the class it extends."""
    library_class = next((c for c in type(model).__mro__
                          if c.__module__.startswith('selfkd_seg.')),
                         type(model))
    return PrivateRandomStream(f'{library_class.__name__}.{part}')


@contextmanager
def initialised_apart(model: torch.nn.Module, names: Union[str, Sequence[str]],
                      stream: PrivateRandomStream):
    """Around ``model.init_weights()`` (mmengine ``BaseModule``): inside,
    the children ``names`` (one name or several; absent ones are skipped)
    are out of the module tree (neither their own ``init_weights`` nor an
    ``init_cfg`` of ``model`` reaches them); on exit they are back in their
    places and initialised, in that order, within ``stream``. The rest of
    the model is initialised, and the global generators end, exactly as if
    the children did not exist. A child without mmengine's ``init_weights``
    (or already initialised: ``is_init``) keeps its weights."""
    if isinstance(names, str):
        names = (names, )
    modules = model._modules
    order = list(modules)
    parts = {n: modules.pop(n) for n in names if n in modules}
    try:
        yield
    finally:
        rest = dict(modules)
        modules.clear()
        for key in order:
            modules[key] = parts[key] if key in parts else rest.pop(key)
        modules.update(rest)  # anything added meanwhile, after
    todo = [
        part for part in parts.values() if hasattr(part, 'init_weights')
        and not getattr(part, 'is_init', False)
    ]
    if todo:
        with stream.build(phase=1):
            for part in todo:
                part.init_weights()

"""Synchronised, interleaved wall-clock timing (torch; no registry).

The package's one timer: :mod:`selfkd_seg.deploy` compares PyTorch with
ONNX Runtime through it, and the benchmarks of ``selfkd_research`` build
their measurements on it.
"""
import statistics
import time
from typing import Callable, Dict

import torch

__all__ = ['synchronize', 'interleaved_medians']


def synchronize(device: str) -> None:
    """Wait for the CUDA device when ``device`` is one (no-op on CPU)."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def interleaved_medians(fns: Dict[str, Callable],
                        steps: int,
                        warmup: int = 2,
                        device: str = 'cpu') -> Dict[str, float]:
    """Median seconds of each callable over ``steps`` rounds after
    ``warmup`` rounds; one call of each per round, so machine noise hits
    every candidate alike and their ratios stay meaningful.  The order
    rotates every round (no candidate always runs first, after a
    different one), and on a GPU every call is timed between two
    synchronisations (device time, not launch time)."""
    names = list(fns)
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    synchronize(device)
    times = {name: [] for name in fns}
    for step in range(steps):
        for k in range(len(names)):
            name = names[(step + k) % len(names)]
            synchronize(device)
            start = time.perf_counter()
            fns[name]()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}

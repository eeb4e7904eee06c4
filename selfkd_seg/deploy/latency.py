"""CPU latency of the exported graph in ONNX Runtime against PyTorch."""
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn

from .wrappers import logits_module


@dataclass
class LatencyOptions:
    """How latency is measured.

    Args:
        runs: timed runs (the median is reported), batch 1.
        warmup: untimed runs first.
        threads: CPU threads of PyTorch and ONNX Runtime for the whole job,
            parity check included (``None``: ``torch.get_num_threads()``).
    """
    runs: int = 20
    warmup: int = 3
    threads: Optional[int] = None

    def __post_init__(self):
        if self.runs < 1:
            raise ValueError(f'runs must be >= 1, got {self.runs}')


def measure_latency(model: nn.Module,
                    session,
                    inputs: torch.Tensor,
                    options: Optional[LatencyOptions] = None,
                    seg_output: str = 'input') -> dict:
    """Median wall time (ms) of PyTorch and ONNX Runtime on ``inputs``.

    The package's timer (:func:`~selfkd_seg.utils.timing.
    interleaved_medians`): the two are interleaved run by run, the order
    rotating, so a busy moment of a shared machine slows both.
    """
    from selfkd_seg.utils.timing import interleaved_medians
    options = options or LatencyOptions()
    runs, warmup = options.runs, options.warmup
    if runs < 1:
        raise ValueError(f'runs must be >= 1, got {runs}')
    wrapper = logits_module(model, seg_output)
    feed = {'input': inputs.numpy()}
    with torch.inference_mode():
        seconds = interleaved_medians(
            dict(
                pytorch=lambda: wrapper(inputs),
                onnxruntime=lambda: session.run(None, feed)), runs, warmup)
    torch_ms = seconds['pytorch'] * 1e3
    ort_ms = seconds['onnxruntime'] * 1e3
    session_options = session.get_session_options()
    return dict(
        input_shape=tuple(inputs.shape),
        runs=runs,
        warmup=warmup,
        pytorch_ms=torch_ms,
        onnxruntime_ms=ort_ms,
        speedup=torch_ms / ort_ms if ort_ms > 0 else float('nan'),
        torch_threads=torch.get_num_threads(),
        ort_threads=session_options.intra_op_num_threads)

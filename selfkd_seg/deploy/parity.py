"""ONNX Runtime against PyTorch: the same images, the same logits?

Tolerances: ONNX Runtime and PyTorch run the same fp32 graph with different
kernels and operation order (ORT also folds BN into the convs), so outputs
differ by rounding only: ~1e-6 of the logit scale was measured on the toy
models.  A tolerance of 1e-3 of the largest |logit| (+1e-4 absolute) is
~100x that, and far below what any real export error gives (a frozen
padding or resize size moves logits by O(1) of their scale).  Argmax may
still flip where two classes tie to within rounding, hence 99.9 %, not
100 %.
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn

from .export import require_onnx
from .images import parse_shape
from .wrappers import logits_module

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-4
MIN_ARGMAX_AGREEMENT = 0.999

Shape = Union[str, None, Tuple[int, int]]


class ONNXParityError(RuntimeError):
    """ONNX Runtime's outputs differ from PyTorch's beyond the tolerance."""


@dataclass
class ParityOptions:
    """What the parity check runs on and what it accepts.

    Args:
        images: image files / folders; ``None``: the config's test set.
        num_images: how many images are checked.
        shapes: input sizes checked, each ``'native'`` / ``None`` (as the
            test pipeline gives) or ``'HxW'`` / ``(H, W)`` (resized to
            exactly that before packing); ``None``: native and
            :func:`~.images.second_shape`.
        rtol, atol: a row passes when max |diff| <= ``atol + rtol *
            max|logit|``...
        min_agreement: ... and the argmax (per pixel / per image) agrees on
            at least this fraction.
    """
    images: Optional[Sequence[str]] = None
    num_images: int = 4
    shapes: Optional[Sequence[Shape]] = None
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    min_agreement: float = MIN_ARGMAX_AGREEMENT

    def __post_init__(self):
        if self.num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {self.num_images}')
        self.sizes()  # a malformed shape fails before any work

    def sizes(self) -> Optional[List[Optional[Tuple[int, int]]]]:
        """``shapes`` as ``None`` (native) / ``(H, W)``; ``None`` when no
        shapes were given."""
        if not self.shapes:
            return None
        return [
            tuple(s) if isinstance(s, (tuple, list)) else
            None if s is None else parse_shape(s) for s in self.shapes
        ]


def ort_session(onnx_path: str, threads: Optional[int] = None):
    """A CPU ONNX Runtime session with ``threads`` intra-op threads
    (default: torch's thread count, for a like-for-like latency), idle
    threads not spinning."""
    _, ort = require_onnx()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # ORT's idle threads spin by default: timed run by run against PyTorch
    # on few cores, the spinning slows PyTorch several times (measured)
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return ort.InferenceSession(
        onnx_path, options, providers=['CPUExecutionProvider'])


def compare_outputs(reference: np.ndarray,
                    onnx_out: np.ndarray,
                    rtol: float = DEFAULT_RTOL,
                    atol: float = DEFAULT_ATOL) -> dict:
    """max |diff|, tolerance and argmax agreement of two logit arrays."""
    if reference.shape != onnx_out.shape:
        return dict(
            shape=tuple(reference.shape),
            onnx_shape=tuple(onnx_out.shape),
            max_abs_diff=float('inf'),
            max_abs_logit=float(np.abs(reference).max()),
            tolerance=float('nan'),
            argmax_agreement=0.0,
            units=0,
            passed=False)
    diff = float(np.abs(reference - onnx_out).max())
    scale = float(np.abs(reference).max())
    agree = reference.argmax(1) == onnx_out.argmax(1)
    tolerance = atol + rtol * scale
    return dict(
        shape=tuple(reference.shape),
        onnx_shape=tuple(onnx_out.shape),
        max_abs_diff=diff,
        max_abs_logit=scale,
        tolerance=tolerance,
        argmax_agreement=float(agree.mean()),
        units=int(agree.size),
        passed=bool(diff <= tolerance and math.isfinite(diff)))


def check_parity(model: nn.Module,
                 session,
                 batches: Dict[str, Sequence[torch.Tensor]],
                 options: Optional[ParityOptions] = None,
                 seg_output: str = 'input') -> dict:
    """ONNX Runtime vs PyTorch on every batch; one row per input shape.

    ``batches`` maps a label (e.g. ``'native'``, ``'97x161'``) to input
    batches; ``options`` gives the thresholds (:class:`ParityOptions`).
    """
    options = options or ParityOptions()
    rtol, atol = options.rtol, options.atol
    min_agreement = options.min_agreement
    wrapper = logits_module(model, seg_output)
    rows = []
    for label, group in batches.items():
        for inputs in group:
            with torch.no_grad():
                reference = wrapper(inputs).numpy()
            onnx_out = session.run(None, {'input': inputs.numpy()})[0]
            row = compare_outputs(reference, onnx_out, rtol, atol)
            row['size'] = label
            row['input_shape'] = tuple(inputs.shape)
            row['passed'] = row['passed'] and (row['argmax_agreement']
                                               >= min_agreement)
            rows.append(row)
    failures = []
    for row in rows:
        if row['passed']:
            continue
        if row['shape'] != row['onnx_shape']:
            failures.append(f"input {row['input_shape']}: ONNX output shape "
                            f"{row['onnx_shape']} != PyTorch {row['shape']}")
        else:
            failures.append(f"input {row['input_shape']}: max |logit diff| "
                            f"{row['max_abs_diff']:.3g} (tolerance "
                            f"{row['tolerance']:.3g}), argmax agreement "
                            f"{100 * row['argmax_agreement']:.3f} % (needs >= "
                            f"{100 * min_agreement:.1f} %)")
    return dict(
        rows=rows,
        passed=bool(rows) and not failures,
        failures=failures,
        rtol=rtol,
        atol=atol,
        min_agreement=min_agreement)

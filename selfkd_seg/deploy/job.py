"""The whole export job: build the student, export, check parity on real
images at several sizes, time both runtimes (:func:`pytorch2onnx`).

``tools/deployment/pytorch2onnx.py`` is its command line.
"""
import time
from collections import OrderedDict
from typing import Callable, Dict, List, Optional

import torch

from .export import ExportOptions, export_onnx, model_metadata, require_onnx
from .images import collect_images, preprocess, second_shape
from .latency import LatencyOptions, measure_latency
from .parity import ONNXParityError, ParityOptions, check_parity, ort_session
from .report import format_report
from .wrappers import task_of


def pytorch2onnx(config: str,
                 checkpoint: str,
                 out: str,
                 *,
                 export: Optional[ExportOptions] = None,
                 parity: Optional[ParityOptions] = None,
                 latency: Optional[LatencyOptions] = None,
                 cfg_options: Optional[dict] = None,
                 raise_on_failure: bool = True,
                 log: Callable[[str], None] = print) -> dict:
    """Export, check parity on real images at several sizes, time both.

    Args:
        config, checkpoint: the plain student config and its checkpoint
            (exported student, FRSKD/SFD training or plain checkpoint),
            built by :func:`~selfkd_seg.apis.builder.build_inference_model`
            with ``part='student'``.
        out: where to write the ``.onnx`` file.
        export: how the graph is written (:class:`~.export.ExportOptions`).
        parity: images, sizes and thresholds of the parity check
            (:class:`~.parity.ParityOptions`).
        latency: runs, warm-up and CPU threads (of both runtimes, for the
            whole job) of the timing (:class:`~.latency.LatencyOptions`;
            batch 1, the first native image).
        cfg_options: ``--cfg-options`` merged into the config.
        raise_on_failure: raise :class:`~.parity.ONNXParityError` when
            parity fails (otherwise ``report['passed']`` is False).
        log: where the report's tables are written.

    Returns:
        dict: ``task``, ``onnx``, ``load_info``, ``parity`` (rows: size,
        input_shape, max_abs_diff, tolerance, argmax_agreement, passed),
        ``latency`` (pytorch_ms, onnxruntime_ms, speedup, threads, runs),
        ``passed``, ``export_s``.
    """
    export = export or ExportOptions()
    parity = parity or ParityOptions()
    latency = latency or LatencyOptions()
    _, ort = require_onnx()
    previous_threads = torch.get_num_threads()
    if latency.threads:
        torch.set_num_threads(latency.threads)
    try:
        return _run(config, checkpoint, out, export, parity, latency,
                    cfg_options, raise_on_failure, log, ort.__version__)
    finally:
        torch.set_num_threads(previous_threads)


def _run(config: str, checkpoint: str, out: str, export: ExportOptions,
         parity: ParityOptions, latency: LatencyOptions,
         cfg_options: Optional[dict], raise_on_failure: bool,
         log: Callable[[str], None], ort_version: str) -> dict:
    from selfkd_seg.apis.builder import build_inference_model
    model = build_inference_model(
        config, checkpoint, part='student', cfg_options=cfg_options)
    task = task_of(model)
    paths = collect_images(model.cfg, parity.images, parity.num_images)
    native = preprocess(model, paths, None)
    sizes = parity.sizes() or [None, second_shape(tuple(native[0].shape[-2:]))]
    batches: Dict[str, List[torch.Tensor]] = OrderedDict()
    for size in sizes:
        label = 'native' if size is None else f'{size[0]}x{size[1]}'
        batches[label] = native if size is None else preprocess(
            model, paths, size)
    example = native[0][:1]
    start = time.perf_counter()
    export_onnx(
        model,
        out,
        example,
        export,
        metadata=model_metadata(model, export.seg_output))
    export_s = time.perf_counter() - start
    session = ort_session(out)
    parity_rows = check_parity(model, session, batches, parity,
                               export.seg_output)
    timing = measure_latency(model, session, example, latency,
                             export.seg_output)
    report = dict(
        task=task,
        config=config,
        checkpoint=checkpoint,
        onnx=out,
        images=list(paths),
        load_info=model.load_info,
        export_s=export_s,
        onnxruntime_version=ort_version,
        parity=parity_rows,
        latency=timing,
        passed=parity_rows['passed'])
    log(format_report(report))
    if not parity_rows['passed'] and raise_on_failure:
        raise ONNXParityError(
            f'{out}: ONNX Runtime does not reproduce PyTorch for '
            f'{checkpoint}: ' + '; '.join(parity_rows['failures']))
    return report

"""Export the deployable student to ONNX and check it against PyTorch.

``tools/deployment/pytorch2onnx.py`` is a thin command line over
:func:`pytorch2onnx`:

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx

``CONFIG`` is the plain student config (an mmseg ``EncoderDecoder`` or an
mmpretrain ``ImageClassifier``, e.g. ``configs/toy/efficientdet_d0_toy.py``);
``CHECKPOINT`` is the student exported by ``tools/export_student.py``, a
FRSKD/SFD training checkpoint (its training-only weights are split off with
:func:`~selfkd_seg.models.utils.distill.split_student_state_dict`) or a
plain training checkpoint.  Every weight of the student must be in it, with
the model's shape, or the error names the file and the keys.

The ONNX graph
--------------
* input ``input``: float32 ``N x 3 x H x W``, already normalised as the
  config's ``data_preprocessor`` does (channel order and mean / std are
  written into the model's metadata); N, H and W are dynamic.
* output, segmentation: ``seg_logits`` ``N x num_classes x H x W``, the
  logits bilinearly resized to the input size (mmseg's ``encode_decode``
  before the crop / resize to the original image; argmax gives the mask).
  ``seg_output='native'`` keeps the head's own resolution instead
  (stride 4 for the EfficientDet head).
* output, classification: ``cls_logits`` ``N x num_classes`` (pre-softmax).

Exporter: the TorchScript-based ``torch.onnx.export(..., dynamo=False)``.
torch 2.14 defaults to the ``torch.export`` (dynamo) exporter, which needs
``onnxscript``; measured here it did not finish exporting the toy
EfficientNet + BiFPN within 10 minutes on 2 CPU cores, while the TorchScript
exporter takes about 10 s.  The TorchScript exporter traces, so every size
computed with Python ``math`` on a tensor's shape would be frozen to the
traced size.  The modules that compute sizes (EfficientNet's TF-"same"
padding, the BiFPN's "same" max-pool, ``resize_to``) therefore compute them
with tensor ops while traced, so they stay dynamic in the graph;
:func:`exportable` only switches the memory-efficient swish (a custom
autograd function) to the plain one and upstream same-padding convolutions
to the backbone's trace-safe one.  The parity check runs at
several input sizes against the unmodified PyTorch model, so a size baked
into the graph fails it.
"""
import argparse
import contextlib
import json
import math
import os
import os.path as osp
import sys
import time
import warnings
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from selfkd_seg.engine.student_loading import (
    CheckpointMismatchError, load_student_weights)
from selfkd_seg.models.utils.distill import DISTILL_ONLY_PREFIXES

DEFAULT_OPSET = 17
# Parity: ONNX Runtime and PyTorch run the same fp32 graph with different
# kernels and operation order (ORT also folds BN into the convs), so outputs
# differ by rounding only: ~1e-6 of the logit scale was measured on the toy
# models.  A tolerance of 1e-3 of the largest |logit| (+1e-4 absolute) is
# ~100x that, and far below what any real export error gives (a frozen
# padding or resize size moves logits by O(1) of their scale).  Argmax may
# still flip where two classes tie to within rounding, hence 99.9 %, not
# 100 %.
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-4
MIN_ARGMAX_AGREEMENT = 0.999
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class ONNXParityError(RuntimeError):
    """ONNX Runtime's outputs differ from PyTorch's beyond the tolerance."""


def require_onnx():
    """Import onnx and onnxruntime, or say how to install them."""
    try:
        import onnx
        import onnxruntime
    except ImportError as err:
        raise ImportError(
            f'ONNX export needs onnx and onnxruntime ({err}); install them '
            'with `pip install -r requirements/deploy.txt` or '
            '`pip install -e .[deploy]`') from err
    return onnx, onnxruntime


# ---------------------------------------------------------------- wrappers
class SegLogits(nn.Module):
    """Plain-tensor forward of an mmseg ``EncoderDecoder``: image -> logits.

    ``backbone -> neck -> decode_head.forward``, then (``output='input'``)
    a bilinear resize to the input size with the head's ``align_corners``,
    as ``EncoderDecoder.encode_decode`` does.  Distillation-only parts never
    run.
    """

    def __init__(self, segmentor: nn.Module, output: str = 'input'):
        super().__init__()
        if output not in ('input', 'native'):
            raise ValueError(f"seg output must be 'input' or 'native', got "
                             f'{output!r}')
        self.segmentor = segmentor
        self.output = output

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        feats = self.segmentor.extract_feat(inputs)
        logits = self.segmentor.decode_head.forward(feats)
        if self.output == 'input':
            logits = F.interpolate(
                logits,
                size=inputs.shape[2:],
                mode='bilinear',
                align_corners=self.segmentor.decode_head.align_corners)
        return logits


class ClsLogits(nn.Module):
    """Plain-tensor forward of an mmpretrain ``ImageClassifier``: logits."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.classifier.head(self.classifier.extract_feat(inputs))


def task_of(model: nn.Module) -> str:
    if hasattr(model, 'decode_head'):
        return 'seg'
    if hasattr(model, 'head'):
        return 'cls'
    raise ValueError(f'{type(model).__name__} is neither a segmentor (no '
                     'decode_head) nor a classifier (no head)')


def logits_module(model: nn.Module, seg_output: str = 'input') -> nn.Module:
    """The tensor-in, logits-out module that is exported."""
    return (SegLogits(model, seg_output)
            if task_of(model) == 'seg' else ClsLogits(model)).eval()


# ------------------------------------------------------- trace-safe sizes
@contextlib.contextmanager
def exportable(model: nn.Module):
    """Make ``model`` traceable with dynamic sizes, only inside the block.

    The size arithmetic of the project's modules (TF-"same" convolutions,
    ``MaxPool2dSame``, ``resize_to``) is trace-safe itself
    (``selfkd_seg.models.utils.bifpn_blocks.is_tracing``). Here:

    * memory-efficient swish -> plain swish (``set_swish``), kept after (an
      autograd function does not trace);
    * ``efficientnet_pytorch``'s own ``Conv2dDynamicSamePadding`` (a backbone
      built with ``fast_same_padding=False``) becomes the backbone's
      trace-safe ``Conv2dSamePadding`` (same state, same outputs) for the
      block.
    """
    from efficientnet_pytorch.utils import Conv2dDynamicSamePadding

    from selfkd_seg.models.backbones.efficientnet import Conv2dSamePadding
    for module in model.modules():
        if hasattr(module, 'set_swish') and hasattr(module, '_swish'):
            module.set_swish(memory_efficient=False)
    swapped = [
        m for m in model.modules() if type(m) is Conv2dDynamicSamePadding
    ]
    for module in swapped:
        module.__class__ = Conv2dSamePadding
    try:
        yield model
    finally:
        for module in swapped:
            module.__class__ = Conv2dDynamicSamePadding


# ------------------------------------------------------ model and weights
def build_plain_model(config: str, cfg_options: Optional[dict] = None):
    """Build the plain student of ``config`` (never downloads weights)."""
    from mmengine.registry import MODELS, init_default_scope

    from selfkd_seg.apis.config import load_config, replace_sync_bn
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.default_scope)
    replace_sync_bn(cfg.model)
    cfg.model.pop('pretrained', None)
    if cfg.get('data_preprocessor') is not None:  # as mmengine's Runner
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    backbone = cfg.model.get('backbone', None)
    if backbone is not None and backbone.get('pretrained'):
        backbone['pretrained'] = None
    if backbone is not None and backbone.get('init_cfg'):
        backbone['init_cfg'] = None  # weights come from the checkpoint
    model = MODELS.build(cfg.model)
    extra = [p for p in DISTILL_ONLY_PREFIXES
             if getattr(model, p, None) is not None]
    if extra:
        raise ValueError(
            f'{config} builds a {type(model).__name__} with training-only '
            f'parts ({", ".join(extra)}): export from the plain student '
            'config (the baseline config the exported student loads into, '
            'e.g. configs/toy/efficientdet_d0_toy.py for '
            'configs/toy/frskd_d0_toy.py); the checkpoint may still be the '
            'FRSKD/SFD training checkpoint')
    task_of(model)
    model.cfg = cfg
    return model.eval()


def load_student(config: str,
                 checkpoint: str,
                 cfg_options: Optional[dict] = None) -> nn.Module:
    """The plain student of ``config`` with the weights of ``checkpoint``.

    The returned model (eval mode) has ``cfg`` and ``load_info``.
    """
    model = build_plain_model(config, cfg_options)
    model.load_info = load_student_weights(model, checkpoint, config)
    return model


# ----------------------------------------------------------------- inputs
def collect_images(cfg,
                   images: Optional[Sequence[str]] = None,
                   num_images: int = 4) -> List[str]:
    """Image files: the given files / folders, else the config's test set.

    Folders are listed (image suffixes, sorted); without ``images`` the
    first ``num_images`` images of ``test_dataloader.dataset`` are used.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be >= 1, got {num_images}')
    paths = []
    if images:
        for item in images:
            if osp.isdir(item):
                found = sorted(
                    osp.join(root, f) for root, _, files in os.walk(item)
                    for f in files if f.lower().endswith(IMAGE_SUFFIXES))
                if not found:
                    raise FileNotFoundError(
                        f'no image files ({", ".join(IMAGE_SUFFIXES)}) '
                        f'under {item!r}')
                paths += found
            elif osp.isfile(item):
                paths.append(item)
            else:
                raise FileNotFoundError(f'image {item!r} does not exist')
        return paths[:num_images]
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope(cfg.default_scope)
    dataset_cfg = cfg.test_dataloader.dataset
    try:
        dataset = DATASETS.build(dataset_cfg)
    except Exception as err:  # noqa: BLE001 (re-raised with advice)
        raise FileNotFoundError(
            f'no images given and the config\'s test dataset '
            f'({dataset_cfg.get("type")} at '
            f'{dataset_cfg.get("data_root")!r}) could not be built: '
            f'{type(err).__name__}: {err}. Pass --images, or create the '
            'data (toy data: tools/dataset_converters/make_toy_voc.py '
            'data/toy_voc, python -m selfkd_seg.testing.toy_cls '
            'data/toy_cls)') from err
    if len(dataset) == 0:
        raise FileNotFoundError('the config\'s test dataset is empty')
    return [
        dataset.get_data_info(i)['img_path']
        for i in range(min(num_images, len(dataset)))
    ]


def deploy_pipeline(cfg, size: Optional[Tuple[int, int]] = None) -> list:
    """The config's test pipeline without annotation loading.

    ``size=(H, W)`` adds a resize to exactly that size before packing.
    """
    pipeline = cfg.get('test_pipeline') or cfg.test_dataloader.dataset.get(
        'pipeline')
    if not pipeline:
        raise ValueError('the config has no test pipeline '
                         '(test_pipeline or test_dataloader.dataset.pipeline)')
    steps = [
        dict(step) for step in pipeline
        if 'Annotation' not in str(step.get('type', ''))
    ]
    if size is not None:
        resize = dict(type='Resize', scale=(size[1], size[0]),
                      keep_ratio=False)
        is_pack = 'Pack' in str(steps[-1].get('type', ''))
        steps.insert(len(steps) - 1 if is_pack else len(steps), resize)
    return steps


def preprocess(model: nn.Module, image_paths: Sequence[str],
               size: Optional[Tuple[int, int]] = None) -> List[torch.Tensor]:
    """Images -> test pipeline -> ``data_preprocessor``: one batch per shape.

    Returns batches (``N x 3 x H x W``) of the images whose preprocessed
    shapes are equal, in order of first appearance.
    """
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import init_default_scope
    init_default_scope(model.cfg.default_scope)
    pipeline = Compose(deploy_pipeline(model.cfg, size))
    groups: Dict[tuple, List[torch.Tensor]] = OrderedDict()
    for path in image_paths:
        data = pipeline(dict(img_path=path))
        with torch.no_grad():
            inputs = model.data_preprocessor(
                pseudo_collate([data]), training=False)['inputs']
        groups.setdefault(tuple(inputs.shape[1:]), []).append(inputs)
    return [torch.cat(batch) for batch in groups.values()]


def parse_shape(text: str) -> Optional[Tuple[int, int]]:
    """``'native'`` -> None (the pipeline's size); ``'HxW'`` -> (H, W)."""
    if text == 'native':
        return None
    try:
        h, w = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise ValueError(f"shape must be 'native' or HxW (e.g. 97x161), got "
                         f'{text!r}') from None
    if h < 1 or w < 1:
        raise ValueError(f'shape {text!r}: sizes must be positive')
    return h, w


def second_shape(native_hw: Tuple[int, int]) -> Tuple[int, int]:
    """A default second size: smaller height, larger width, both odd-ish
    (``3/4 H + 1``, ``5/4 W + 1``), so dynamic sizes are really exercised."""
    h, w = native_hw
    return max(h * 3 // 4 + 1, 8), max(w * 5 // 4 + 1, 8)


# ------------------------------------------------------------------ export
def export_onnx(model: nn.Module,
                out: str,
                example: torch.Tensor,
                seg_output: str = 'input',
                opset: int = DEFAULT_OPSET,
                dynamic: bool = True,
                metadata: Optional[Dict[str, str]] = None) -> str:
    """Trace ``model`` on ``example`` and write the ONNX graph to ``out``."""
    onnx, _ = require_onnx()
    task = task_of(model)
    wrapper = logits_module(model, seg_output)
    output_name = 'seg_logits' if task == 'seg' else 'cls_logits'
    axes = None
    if dynamic:
        spatial = {0: 'batch', 2: 'height', 3: 'width'}
        axes = {'input': spatial}
        if task == 'seg' and seg_output == 'input':
            axes[output_name] = spatial
        elif task == 'seg':
            axes[output_name] = {
                0: 'batch',
                2: 'logit_height',
                3: 'logit_width'
            }
        else:
            axes[output_name] = {0: 'batch'}
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    with exportable(model), warnings.catch_warnings(), torch.no_grad():
        # TracerWarnings about Python numbers in checks and shape arithmetic
        # are verified against numbers instead (parity at several sizes)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.filterwarnings('ignore', category=UserWarning,
                                module=r'torch\.onnx')
        torch.onnx.export(
            wrapper, (example, ),
            out,
            dynamo=False,
            input_names=['input'],
            output_names=[output_name],
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True)
    proto = onnx.load(out)
    onnx.checker.check_model(proto)
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.save(proto, out)
    return out


def model_metadata(model: nn.Module, seg_output: str = 'input') -> dict:
    """What a deployment needs to know about the graph's input and output."""
    task = task_of(model)
    pre = model.data_preprocessor
    meta = dict(task=task, producer='selfkd_seg.deploy.onnx_export')
    for name in ('mean', 'std'):
        value = getattr(pre, name, None)
        if value is not None:
            meta[name] = json.dumps(
                [round(float(v), 4) for v in value.flatten()])
    swap = None
    for name in ('to_rgb', 'channel_conversion', '_channel_conversion'):
        swap = getattr(pre, name, None)
        if swap is not None:
            break
    if swap is not None:
        meta['channel_order'] = ('RGB (images are loaded BGR and swapped)'
                                 if swap else 'as loaded (BGR for mmcv)')
    meta['input'] = ('float32 N x 3 x H x W, (image - mean) / std in '
                     'channel_order')
    if task == 'seg':
        meta['output'] = ('seg_logits: N x C x H x W, logits at the input '
                          'size' if seg_output == 'input' else
                          'seg_logits: N x C x h x w, logits at the head\'s '
                          'resolution')
    else:
        meta['output'] = 'cls_logits: N x C, pre-softmax'
    classes = (getattr(model, 'load_info', {}) or {}).get(
        'dataset_meta', {}).get('classes')
    if classes:
        meta['classes'] = json.dumps(list(classes))
    cfg = getattr(model, 'cfg', None)
    if cfg is not None and cfg.filename:
        meta['config'] = osp.basename(cfg.filename)
    return meta


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


# ------------------------------------------------------------------ checks
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
                 seg_output: str = 'input',
                 rtol: float = DEFAULT_RTOL,
                 atol: float = DEFAULT_ATOL,
                 min_agreement: float = MIN_ARGMAX_AGREEMENT) -> dict:
    """ONNX Runtime vs PyTorch on every batch; one row per input shape.

    ``batches`` maps a label (e.g. ``'native'``, ``'97x161'``) to input
    batches.  A row passes when max |diff| <= ``atol + rtol * max|logit|``
    and the argmax (per pixel / per image) agrees on at least
    ``min_agreement`` of them.
    """
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
            row['passed'] = row['passed'] and (row['argmax_agreement'] >=
                                               min_agreement)
            rows.append(row)
    failures = []
    for row in rows:
        if row['passed']:
            continue
        if row['shape'] != row['onnx_shape']:
            failures.append(
                f"input {row['input_shape']}: ONNX output shape "
                f"{row['onnx_shape']} != PyTorch {row['shape']}")
        else:
            failures.append(
                f"input {row['input_shape']}: max |logit diff| "
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


def measure_latency(model: nn.Module,
                    session,
                    inputs: torch.Tensor,
                    runs: int = 20,
                    warmup: int = 3,
                    seg_output: str = 'input') -> dict:
    """Median wall time (ms) of PyTorch and ONNX Runtime on ``inputs``.

    The package's timer (:func:`~selfkd_seg.analysis.benchmark.
    interleaved_medians`): the two are interleaved run by run, the order
    rotating, so a busy moment of a shared machine slows both.
    """
    from selfkd_seg.utils.timing import interleaved_medians
    if runs < 1:
        raise ValueError(f'runs must be >= 1, got {runs}')
    wrapper = logits_module(model, seg_output)
    feed = {'input': inputs.numpy()}
    with torch.inference_mode():
        seconds = interleaved_medians(
            dict(pytorch=lambda: wrapper(inputs),
                 onnxruntime=lambda: session.run(None, feed)), runs, warmup)
    torch_ms = seconds['pytorch'] * 1e3
    ort_ms = seconds['onnxruntime'] * 1e3
    options = session.get_session_options()
    return dict(
        input_shape=tuple(inputs.shape),
        runs=runs,
        warmup=warmup,
        pytorch_ms=torch_ms,
        onnxruntime_ms=ort_ms,
        speedup=torch_ms / ort_ms if ort_ms > 0 else float('nan'),
        torch_threads=torch.get_num_threads(),
        ort_threads=options.intra_op_num_threads)


# ------------------------------------------------------------------ report
def format_report(report: dict) -> str:
    """The parity and latency tables as text."""
    lines = []
    parity = report.get('parity')
    if parity:
        unit = 'pixels' if report.get('task') == 'seg' else 'images'
        lines.append(f'parity, ONNX Runtime vs PyTorch (tolerance: '
                     f'{parity["atol"]:g} + {parity["rtol"]:g} x max|logit|;'
                     f' argmax >= {100 * parity["min_agreement"]:.1f} %)')
        lines.append(f'| input | output | max abs logit diff | tolerance | '
                     f'argmax agreement ({unit}) | ok |')
        lines.append('|---|---|---|---|---|---|')
        for row in parity['rows']:
            shape = 'x'.join(str(v) for v in row['input_shape'])
            out = 'x'.join(str(v) for v in row['onnx_shape'])
            lines.append(
                f"| {shape} ({row['size']}) | {out} | "
                f"{row['max_abs_diff']:.2e} | {row['tolerance']:.2e} | "
                f"{100 * row['argmax_agreement']:.3f} % of "
                f"{row['units']} | {'yes' if row['passed'] else 'NO'} |")
    latency = report.get('latency')
    if latency:
        shape = 'x'.join(str(v) for v in latency['input_shape'])
        lines.append('')
        lines.append(f"CPU latency, input {shape}, median of "
                     f"{latency['runs']} runs (after {latency['warmup']} "
                     f"warm-up), torch threads {latency['torch_threads']}, "
                     f"ORT intra-op threads {latency['ort_threads']}")
        lines.append('| runtime | ms / batch |')
        lines.append('|---|---|')
        lines.append(f"| PyTorch {torch.__version__} | "
                     f"{latency['pytorch_ms']:.2f} |")
        lines.append(f"| ONNX Runtime {report.get('onnxruntime_version', '')}"
                     f" | {latency['onnxruntime_ms']:.2f} |")
        lines.append(f"speed-up x{latency['speedup']:.2f}")
    return '\n'.join(lines)


def pytorch2onnx(config: str,
                 checkpoint: str,
                 out: str,
                 *,
                 images: Optional[Sequence[str]] = None,
                 num_images: int = 4,
                 shapes: Optional[Sequence[Union[str, None,
                                                 Tuple[int, int]]]] = None,
                 seg_output: str = 'input',
                 opset: int = DEFAULT_OPSET,
                 runs: int = 20,
                 warmup: int = 3,
                 threads: Optional[int] = None,
                 rtol: float = DEFAULT_RTOL,
                 atol: float = DEFAULT_ATOL,
                 min_agreement: float = MIN_ARGMAX_AGREEMENT,
                 cfg_options: Optional[dict] = None,
                 raise_on_failure: bool = True,
                 log: Callable[[str], None] = print) -> dict:
    """Export, check parity on real images at several sizes, time both.

    Args:
        config, checkpoint: the plain student config and its checkpoint
            (exported student, FRSKD/SFD training or plain checkpoint).
        out: where to write the ``.onnx`` file.
        images: image files / folders; default: the config's test set.
        num_images: how many images are checked.
        shapes: input sizes to check, each ``'native'`` / None (as the test
            pipeline gives) or ``'HxW'`` / ``(H, W)`` (resized to exactly
            that before packing); default: native and :func:`second_shape`.
        seg_output: ``'input'`` (logits at the input size) or ``'native'``.
        runs, warmup: latency runs (batch 1, the first native image).
        threads: CPU threads of both runtimes while checking and timing
            (default: ``torch.get_num_threads()``).
        rtol, atol, min_agreement: the parity thresholds.
        raise_on_failure: raise :class:`ONNXParityError` when parity fails
            (otherwise ``report['passed']`` is False).

    Returns:
        dict: ``task``, ``onnx``, ``load_info``, ``parity`` (rows: size,
        input_shape, max_abs_diff, tolerance, argmax_agreement, passed),
        ``latency`` (pytorch_ms, onnxruntime_ms, speedup, threads, runs),
        ``passed``, ``export_s``.
    """
    _, ort = require_onnx()
    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _pytorch2onnx(config, checkpoint, out, images, num_images,
                             shapes, seg_output, opset, runs, warmup, rtol,
                             atol, min_agreement, cfg_options,
                             raise_on_failure, log, ort)
    finally:
        torch.set_num_threads(previous_threads)


def _pytorch2onnx(config, checkpoint, out, images, num_images, shapes,
                  seg_output, opset, runs, warmup, rtol, atol, min_agreement,
                  cfg_options, raise_on_failure, log, ort) -> dict:
    model = load_student(config, checkpoint, cfg_options)
    task = task_of(model)
    paths = collect_images(model.cfg, images, num_images)
    native = preprocess(model, paths, None)
    if not shapes:
        shapes = ['native', second_shape(tuple(native[0].shape[-2:]))]
    parsed = [
        tuple(s) if isinstance(s, (tuple, list)) else
        None if s is None else parse_shape(s) for s in shapes
    ]
    batches: Dict[str, List[torch.Tensor]] = OrderedDict()
    for size in parsed:
        label = 'native' if size is None else f'{size[0]}x{size[1]}'
        batches[label] = native if size is None else preprocess(
            model, paths, size)
    example = native[0][:1]
    start = time.perf_counter()
    export_onnx(model, out, example, seg_output, opset,
                metadata=model_metadata(model, seg_output))
    export_s = time.perf_counter() - start
    session = ort_session(out)
    parity = check_parity(model, session, batches, seg_output, rtol, atol,
                          min_agreement)
    latency = measure_latency(model, session, example, runs, warmup,
                              seg_output)
    report = dict(
        task=task,
        config=config,
        checkpoint=checkpoint,
        onnx=out,
        images=list(paths),
        load_info=model.load_info,
        export_s=export_s,
        onnxruntime_version=ort.__version__,
        parity=parity,
        latency=latency,
        passed=parity['passed'])
    log(format_report(report))
    if not parity['passed'] and raise_on_failure:
        raise ONNXParityError(
            f'{out}: ONNX Runtime does not reproduce PyTorch for '
            f'{checkpoint}: ' + '; '.join(parity['failures']))
    return report


# -------------------------------------------------------------------- CLI
CLI_DOC = """Export the deployable student to ONNX; check it against PyTorch.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx

CONFIG is the plain student config (mmseg EncoderDecoder or mmpretrain
ImageClassifier); CHECKPOINT the exported student (tools/export_student.py),
a FRSKD/SFD training checkpoint (the student is split out) or a plain one.
The graph takes the normalised N x 3 x H x W image (N, H, W dynamic) and
returns logits (segmentation: at the input size, --seg-output native for the
head's resolution).  ONNX Runtime is compared with PyTorch on real images
(--images, default: the config's test set) through the config's test
pipeline at the native size and at a second size (--shapes); the exit status
is 1 if the max |logit diff| exceeds the tolerance or argmax agrees on less
than 99.9 % of the pixels / images.  CPU latency of both is printed.
docs/deployment.md has the details.
"""


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description=CLI_DOC.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(CLI_DOC.splitlines()[2:]))
    parser.add_argument('config', help='plain student config')
    parser.add_argument('checkpoint', help='student / training checkpoint')
    parser.add_argument(
        '--out', default=None, help='ONNX file (default: CHECKPOINT with '
        'the suffix .onnx)')
    parser.add_argument(
        '--images', nargs='+', default=None,
        help='image files or folders for the parity check (default: the '
        "config's test dataset)")
    parser.add_argument(
        '--num-images', type=int, default=4, help='images checked')
    parser.add_argument(
        '--shapes', nargs='+', default=None,
        help="input sizes checked: 'native' (as the test pipeline gives) "
        "or HxW; default: native and a second, odd size")
    parser.add_argument(
        '--seg-output', choices=('input', 'native'), default='input',
        help='segmentation logits at the input size (default) or at the '
        "head's resolution")
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument(
        '--runs', type=int, default=20, help='latency runs (median)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--threads', type=int, default=None,
        help='CPU threads of PyTorch and ONNX Runtime (default: torch\'s)')
    parser.add_argument('--rtol', type=float, default=DEFAULT_RTOL)
    parser.add_argument('--atol', type=float, default=DEFAULT_ATOL)
    parser.add_argument(
        '--min-agreement', type=float, default=MIN_ARGMAX_AGREEMENT,
        help='least fraction of pixels / images whose argmax agrees')
    parser.add_argument(
        '--report', default=None, help='also write the report as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """``tools/deployment/pytorch2onnx.py``: exit 2 on a bad input (checkpoint
    that does not fit, missing file), 1 when parity fails."""
    args = parse_args(argv)
    out = args.out or osp.splitext(args.checkpoint)[0] + '.onnx'
    try:
        report = pytorch2onnx(
            args.config,
            args.checkpoint,
            out,
            images=args.images,
            num_images=args.num_images,
            shapes=args.shapes,
            seg_output=args.seg_output,
            opset=args.opset,
            runs=args.runs,
            warmup=args.warmup,
            threads=args.threads,
            rtol=args.rtol,
            atol=args.atol,
            min_agreement=args.min_agreement,
            cfg_options=args.cfg_options,
            raise_on_failure=False)
    except (CheckpointMismatchError, FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)
    if args.report:
        with open(args.report, 'w') as f:
            json.dump(report, f, indent=1, default=str)
    if not report['passed']:
        print(
            f'error: {out}: ONNX Runtime does not reproduce PyTorch: ' +
            '; '.join(report['parity']['failures']),
            file=sys.stderr)
        sys.exit(1)
    print(f"wrote {out} ({report['task']}, exported in "
          f"{report['export_s']:.1f} s); parity passed")
    return report

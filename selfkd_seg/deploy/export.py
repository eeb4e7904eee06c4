"""Trace the student into an ONNX graph (:func:`export_onnx`) and describe
its input and output in the graph's metadata (:func:`model_metadata`).

Exporter: the TorchScript-based ``torch.onnx.export(..., dynamo=False)``
(docs/deployment.md says why); it traces, so every size the graph computes
must be computed with tensor ops while traced (:func:`~.wrappers.
exportable`).
"""
import json
import os
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Dict, Optional

import torch
import torch.nn as nn

from .wrappers import SEG_OUTPUTS, exportable, logits_module, task_of

DEFAULT_OPSET = 17


@dataclass
class ExportOptions:
    """How the graph is written.

    Args:
        seg_output: segmentation logits at the input size (``'input'``,
            mmseg's ``encode_decode``) or at the head's own resolution
            (``'native'``).
        opset: the ONNX opset.
        dynamic: batch, height and width are dynamic axes of the graph.
    """
    seg_output: str = 'input'
    opset: int = DEFAULT_OPSET
    dynamic: bool = True

    def __post_init__(self):
        if self.seg_output not in SEG_OUTPUTS:
            raise ValueError(f"seg output must be 'input' or 'native', got "
                             f'{self.seg_output!r}')


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


def _dynamic_axes(task: str, output_name: str, seg_output: str) -> dict:
    spatial = {0: 'batch', 2: 'height', 3: 'width'}
    axes = {'input': spatial}
    if task == 'seg' and seg_output == 'input':
        axes[output_name] = spatial
    elif task == 'seg':
        axes[output_name] = {0: 'batch', 2: 'logit_height', 3: 'logit_width'}
    else:
        axes[output_name] = {0: 'batch'}
    return axes


def export_onnx(model: nn.Module,
                out: str,
                example: torch.Tensor,
                options: Optional[ExportOptions] = None,
                metadata: Optional[Dict[str, str]] = None) -> str:
    """Trace ``model`` on ``example`` and write the ONNX graph to ``out``;
    ``metadata`` goes into the graph's ``metadata_props``."""
    options = options or ExportOptions()
    onnx, _ = require_onnx()
    task = task_of(model)
    wrapper = logits_module(model, options.seg_output)
    output_name = 'seg_logits' if task == 'seg' else 'cls_logits'
    axes = (
        _dynamic_axes(task, output_name, options.seg_output)
        if options.dynamic else None)
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    with exportable(model), warnings.catch_warnings(), torch.no_grad():
        # TracerWarnings about Python numbers in checks and shape arithmetic
        # are verified against numbers instead (parity at several sizes)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.filterwarnings(
            'ignore', category=UserWarning, module=r'torch\.onnx')
        torch.onnx.export(
            wrapper, (example, ),
            out,
            dynamo=False,
            input_names=['input'],
            output_names=[output_name],
            dynamic_axes=axes,
            opset_version=options.opset,
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
    meta = dict(task=task, producer='selfkd_seg.deploy')
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
    classes = (getattr(model, 'load_info', {}) or {}).get('dataset_meta',
                                                          {}).get('classes')
    if classes:
        meta['classes'] = json.dumps(list(classes))
    cfg = getattr(model, 'cfg', None)
    if cfg is not None and cfg.filename:
        meta['config'] = osp.basename(cfg.filename)
    return meta

"""Export the deployable student to ONNX and check it against PyTorch.

``tools/deployment/pytorch2onnx.py`` is the command line of
:func:`~.job.pytorch2onnx`:

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx

``CONFIG`` is the plain student config (an mmseg ``EncoderDecoder`` or an
mmpretrain ``ImageClassifier``, e.g.
``configs/efficientdet_seg/efficientdet-d0_240it_toy.py``);
``CHECKPOINT`` is the student exported by ``tools/export_student.py``, a
FRSKD/SFD training checkpoint (its training-only weights are split off) or a
plain training checkpoint; the model is built by
:func:`selfkd_seg.apis.builder.build_inference_model` (``part='student'``).

One module per concern:

* :mod:`.wrappers`: the exported tensor-in, logits-out module
  (``SegLogits``, ``ClsLogits``, ``logits_module``, ``task_of``) and
  ``exportable`` (trace-safe modules during the export);
* :mod:`.export`: ``export_onnx``, ``model_metadata``, ``ExportOptions``;
* :mod:`.images`: the parity images through the test pipeline
  (``collect_images``, ``deploy_pipeline``, ``preprocess``, ``parse_shape``,
  ``second_shape``);
* :mod:`.parity`: ONNX Runtime vs PyTorch (``ort_session``,
  ``compare_outputs``, ``check_parity``, ``ParityOptions``,
  ``ONNXParityError``);
* :mod:`.latency`: ``measure_latency``, ``LatencyOptions``;
* :mod:`.report`: ``format_report``;
* :mod:`.job`: ``pytorch2onnx``, the whole job.

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
:func:`~.wrappers.exportable` only switches the memory-efficient swish (a
custom autograd function) to the plain one and upstream same-padding
convolutions to the backbone's trace-safe one.  The parity check runs at
several input sizes against the unmodified PyTorch model, so a size baked
into the graph fails it.
"""
from .export import DEFAULT_OPSET, ExportOptions, export_onnx, model_metadata
from .job import pytorch2onnx
from .latency import LatencyOptions, measure_latency
from .parity import (DEFAULT_ATOL, DEFAULT_RTOL, MIN_ARGMAX_AGREEMENT,
                     ONNXParityError, ParityOptions, check_parity,
                     compare_outputs, ort_session)
from .report import format_report
from .wrappers import ClsLogits, SegLogits, exportable, logits_module, task_of

__all__ = [
    'DEFAULT_ATOL', 'DEFAULT_OPSET', 'DEFAULT_RTOL', 'MIN_ARGMAX_AGREEMENT',
    'ClsLogits', 'ExportOptions', 'LatencyOptions', 'ONNXParityError',
    'ParityOptions', 'SegLogits', 'check_parity', 'compare_outputs',
    'export_onnx', 'exportable', 'format_report', 'logits_module',
    'measure_latency', 'model_metadata', 'ort_session', 'pytorch2onnx',
    'task_of'
]

"""What a user calls: ``train.train``/``test.test`` (what ``tools/train.py``
and ``tools/test.py`` call after parsing their command lines),
``config`` (preparing a config), ``runtime`` (process group, runner),
``builder`` (the one builder of a model outside training: evaluation,
export, analysis), ``inference`` (load a full model or an exported student,
predict, paint) and ``export`` (the deployable student checkpoint; ONNX is
:mod:`selfkd_seg.deploy`)."""
from .builder import build_inference_model
from .export import export_student_checkpoint
from .inference import load_segmentor, predict

__all__ = [
    'build_inference_model', 'export_student_checkpoint', 'load_segmentor',
    'predict'
]

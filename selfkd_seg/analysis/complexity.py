"""Params and FLOPs of the student and of its self-teacher, and their ratio.

:func:`complexity_report` measures a built model, :func:`config_complexity`
the model of a config; ``tools/analysis/complexity.py`` is the command line
(its docstring has the usage).  FLOPs count one multiply-add as one FLOP
(fvcore / mmengine convention), at batch size 1.  Works for segmentation
(mmseg) and classification (mmpretrain) configs; the ratios are those of
FRSKD's Table 6.
"""
from typing import Callable, Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer

from selfkd_seg.models.utils.distill import DISTILL_ONLY_PREFIXES


def _flatten_tensors(out) -> tuple:
    if isinstance(out, torch.Tensor):
        return (out, )
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        return tuple(t for item in out for t in _flatten_tensors(item))
    return ()


class StudentForward(nn.Module):
    """The deployable path: what predict/test run (logits out)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs):
        return _flatten_tensors(self.model(inputs, mode='tensor'))


class SelfTeacherForward(nn.Module):
    """The self-teacher alone, fed with the student's features."""

    def __init__(self, self_teacher: nn.Module):
        super().__init__()
        self.self_teacher = self_teacher

    def forward(self, *feats):
        return _flatten_tensors(self.self_teacher(list(feats)))


class CallableForward(nn.Module):
    """Any callable of tensors as a module for the FLOP counter; ``owner``
    (the module whose parameters ``fn`` uses) is registered with it."""

    def __init__(self, fn: Callable, owner: nn.Module):
        super().__init__()
        self.fn, self.owner = fn, owner

    def forward(self, *args):
        return _flatten_tensors(self.fn(*args))


def self_teacher_inputs(model: nn.Module, inputs: torch.Tensor) -> tuple:
    """The features a model feeds its self-teacher (segmentor: BiFPN
    levels; classifier: backbone stages, via ``self_teacher_inputs``)."""
    if hasattr(model, 'self_teacher_inputs'):
        return tuple(model.self_teacher_inputs(inputs))
    return tuple(model.extract_feat(inputs))


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def count_flops(module: nn.Module,
                inputs: tuple,
                operators: Optional[Sequence[str]] = None) -> int:
    """Multiply-adds of ``module(*inputs)`` by mmengine's ``FlopAnalyzer``
    (its warnings off); ``operators`` (e.g. ``('conv', 'linear')``) counts
    only those operator kinds."""
    analyzer = FlopAnalyzer(module, inputs)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    if operators is None:
        return int(analyzer.total())
    by_operator = analyzer.by_operator()
    return int(sum(by_operator.get(k, 0) for k in operators))


@torch.no_grad()
def complexity_report(model: nn.Module,
                      input_shape: Sequence[int]) -> Dict[str, float]:
    """Params and FLOPs (multiply-adds, fvcore convention) of the student
    and of the self-teacher, with ratios self-teacher / student.

    ``input_shape`` is (C, H, W); batch size 1.  The model is put in eval
    mode.  Training-only parts without a self-teacher (SFD's integrator,
    teacher) are reported by parameter count.
    """
    model.eval()
    device = next(model.parameters()).device
    inputs = torch.randn(1, *input_shape, device=device)
    student_params = sum(p.numel() for name, p in model.named_parameters()
                         if name.split('.', 1)[0] not in DISTILL_ONLY_PREFIXES)
    report = dict(
        student_params=student_params,
        student_flops=count_flops(StudentForward(model), (inputs, )))
    self_teacher = getattr(model, 'self_teacher', None)
    if self_teacher is not None:
        feats = self_teacher_inputs(model, inputs)
        report['self_teacher_params'] = count_params(self_teacher)
        report['self_teacher_flops'] = count_flops(
            SelfTeacherForward(self_teacher), feats)
        report['params_ratio'] = (
            report['self_teacher_params'] / report['student_params'])
        report['flops_ratio'] = (
            report['self_teacher_flops'] / report['student_flops'])
    for name in ('teacher', 'integrator'):
        part = getattr(model, name, None)
        if isinstance(part, nn.Module):
            report[f'{name}_params'] = count_params(part)
    return report


def config_complexity(config: str,
                      shape: Optional[Sequence[int]] = None,
                      cfg_options: Optional[dict] = None) -> Dict[str, float]:
    """:func:`complexity_report` of the model of ``config`` (random weights
    and teacher, nothing downloaded: :func:`~selfkd_seg.apis.builder.
    build_inference_model` without a checkpoint) at input ``shape`` (H, W);
    default 512x512 for mmseg, 224x224 for mmpretrain configs.  The report
    also has ``input_shape`` (1, 3, H, W)."""
    from selfkd_seg.apis.builder import build_inference_model
    from selfkd_seg.apis.config import load_config
    cfg = load_config(config, cfg_options)
    if shape is None:
        shape = (512, 512) if cfg.default_scope == 'mmseg' else (224, 224)
    model = build_inference_model(cfg, part='full')
    report = complexity_report(model, (3, *shape))
    report['input_shape'] = (1, 3, *shape)
    return report


def format_complexity(report: Dict[str, float]) -> str:
    """The report of :func:`config_complexity` as text."""
    _, _, h, w = report['input_shape']
    lines = [
        f'input 1x3x{h}x{w}',
        f"student       params {report['student_params'] / 1e6:9.3f} M  "
        f"FLOPs {report['student_flops'] / 1e9:9.3f} G"
    ]
    if 'self_teacher_params' in report:
        lines.append(
            f"self-teacher  params {report['self_teacher_params'] / 1e6:9.3f}"
            f" M  FLOPs {report['self_teacher_flops'] / 1e9:9.3f} G")
        lines.append(f"ratio (self-teacher / student): params x"
                     f"{report['params_ratio']:.2f}, FLOPs x"
                     f"{report['flops_ratio']:.2f}")
    for name in ('teacher', 'integrator'):
        if f'{name}_params' in report:
            lines.append(
                f"{name:13s} params {report[f'{name}_params'] / 1e6:9.3f} M")
    return '\n'.join(lines)

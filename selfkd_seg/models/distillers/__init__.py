"""The distillation core: the parts every distiller is built from.

- :class:`FRSKDMixin` (``frskd.py``): a self-teacher's distillation terms.
- :class:`TeacherStudentMixin` (``teacher_student.py``): a frozen teacher,
  an integrator and the feature/KD terms (SFD and its baselines).
- :class:`MarginProvider` (``margins.py``), :class:`DistillWeights`
  (``weights.py``), :class:`DistillGate` (``gate.py``) and the
  segmentation helpers (``seg.py``).

The segmentors and classifiers add only what is task specific: where the
features come from and pixel vs image KD.
"""
from .contracts import SelfTeacherLeadTarget
from .frskd import DISTILL_KEYS, FRSKDMixin
from .gate import DistillGate
from .margins import MARGINS, MarginProvider
from .seg import (level_channels, level_shapes, neck_level_channels,
                  pixel_ce_pair, pixel_kd, seg_labels)
from .teacher_student import TeacherStudentMixin
from .weights import DistillWeights

__all__ = [
    'DISTILL_KEYS', 'FRSKDMixin', 'DistillGate', 'MARGINS', 'MarginProvider',
    'DistillWeights', 'TeacherStudentMixin', 'level_channels', 'level_shapes',
    'neck_level_channels', 'pixel_ce_pair', 'pixel_kd', 'seg_labels',
    'SelfTeacherLeadTarget'
]

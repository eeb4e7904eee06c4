"""FRSKD's segmentation self-teacher and the parts a FRSKD segmentor is
composed of: the self-teacher component (:class:`SegSelfTeacher`), the
plans that derive it from a student, and the head runners that run the
student's decode head(s)."""
from .head_runners import CascadeHeadRunner, SingleHeadRunner
from .plans import BiFPNStackPlan, LevelPlan
from .seg_self_teacher import SegSelfTeacher

__all__ = [
    'SegSelfTeacher', 'BiFPNStackPlan', 'LevelPlan', 'SingleHeadRunner',
    'CascadeHeadRunner'
]

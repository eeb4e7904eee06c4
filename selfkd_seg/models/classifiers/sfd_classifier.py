"""SFD teacher-student distillation for image classification."""
from typing import List

import torch
import torch.nn as nn
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS as CLS_MODELS

from selfkd_seg.models.distillers import TeacherStudentMixin
from selfkd_seg.registry import MODELS


def _check_stage_backbone(backbone: nn.Module, who: str) -> None:
    for attr in ('forward_stages', 'stage_channels', 'out_indices'):
        if not hasattr(backbone, attr):
            raise TypeError(
                f'SFDClassifier: the {who} backbone {type(backbone).__name__}'
                f' has no {attr!r}; use a CIFAR zoo backbone (CIFARResNet, '
                'WideResNet, CIFARVGG, ...) that exposes its stages')


@MODELS.register_module(codebases='mmpretrain')
class SFDClassifier(TeacherStudentMixin, ImageClassifier):
    """SFD: a student classifier distilled from a frozen teacher's features.

    `Self-boosting for Feature Distillation (Pei, Qu and Zhang, IJCAI 2022)
    <https://www.ijcai.org/proceedings/2022/0131.pdf>`_.  The student is a
    plain ``ImageClassifier`` (``backbone``, ``neck``, ``head``: encoder f and
    predictor q); the integrator g maps its stage features onto the teacher's
    last-stage pre-ReLU feature ``Y`` (``teacher.backbone.forward_stages``
    ``[0][-1]``)::

        loss     = CE(q(f(X)))                                 (head.loss)
        loss_feat = w * L_distill(g(f_stages(X)), max(Y, m))    (eq. 10)
        loss_kd   = KD(q(f(X)) || teacher logits)               (optional)

    with ``w`` the feature loss's ``loss_weight`` (3 in the paper) and ``m``
    the per-channel margin, by default from the teacher BN before that ReLU
    (``get_bn_before_relu()``).  The student's integrator inputs are its
    post-ReLU stage outputs (``student_feature='post'``, the features f
    passes on); ``'pre'`` gives Overhaul's pre-ReLU features.  The
    self-distillation step (SD/RSD) is :class:`SelfDistillHook`.

    Teacher and student read the same preprocessed batch (the student's
    ``data_preprocessor``): both must expect the same normalization.  The
    teacher runs under ``torch.no_grad()``, is frozen and stays in eval mode
    (``teacher_norm_eval=False``: its BN layers use batch statistics, as in
    Overhaul); it is left out of checkpoints unless ``save_teacher=True`` and
    reloaded from ``teacher_ckpt`` when the model is built.  ``predict`` and
    ``tensor`` mode run the student only.

    Args:
        teacher (dict): The teacher's model config (an ``ImageClassifier``
            whose backbone exposes ``forward_stages``).
        **kwargs: The student, as :class:`ImageClassifier`, and the
            :data:`TeacherStudentMixin.TEACHER_ARGS`; ``distill`` also takes
            ``student_feature`` and ``teacher_feature`` (``'pre'`` /
            ``'post'`` ReLU stage features).
    """

    DEFAULT_DISTILL = dict(
        loss=dict(type='OFDLoss', loss_weight=3.0),
        margin='bn',
        kd=None,
        student_stages=None,  # all stages; LI/AI use the last 3, RI the last
        teacher_stages=(-1, ),
        student_feature='post',
        teacher_feature='pre')

    def __init__(self, teacher: dict, **kwargs):
        distillation = self.pop_teacher_args(kwargs)
        super().__init__(**kwargs)
        _check_stage_backbone(self.backbone, 'student')

        def teacher_channels(model):
            _check_stage_backbone(model.backbone, 'teacher')
            return model.backbone.stage_channels

        distill = self._init_distillation(
            teacher=teacher,
            registry=CLS_MODELS,
            student_channels=self.backbone.stage_channels,
            teacher_channels_fn=teacher_channels,
            **distillation)
        for key in ('student_feature', 'teacher_feature'):
            if distill[key] not in ('pre', 'post'):
                raise ValueError(f"distill.{key} must be 'pre' or 'post', "
                                 f'got {distill[key]!r}')
        self.student_feature = distill['student_feature']
        self.teacher_feature = distill['teacher_feature']

    def teacher_norms_before_relu(self) -> List[nn.Module]:
        return list(self.teacher.backbone.get_bn_before_relu())

    @staticmethod
    def _head_input(model, post_feats):
        feats = tuple(post_feats[i] for i in model.backbone.out_indices)
        return model.neck(feats) if model.with_neck else feats

    def loss(self, inputs: torch.Tensor, data_samples) -> dict:
        pre, post = self.backbone.forward_stages(inputs)
        feats = self._head_input(self, post)
        losses = self.head.loss(feats, data_samples)

        with torch.no_grad():
            t_pre, t_post = self.teacher.backbone.forward_stages(inputs)
            teacher_logits = self.teacher.head(
                self._head_input(self.teacher, t_post)) \
                if 'kd' in self.distill_losses else None

        if 'feature' in self.distill_losses:
            losses['loss_feat'] = self.feature_distill_loss(
                pre if self.student_feature == 'pre' else post,
                t_pre if self.teacher_feature == 'pre' else t_post)
        if teacher_logits is not None:
            losses['loss_kd'] = self.distill_weights['kd'] * \
                self.distill_losses['kd'](self.head(feats), teacher_logits)
        return losses

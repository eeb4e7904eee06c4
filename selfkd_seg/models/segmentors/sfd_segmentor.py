"""SFD teacher-student distillation for semantic segmentation."""
from typing import Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.hub import get_config
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from selfkd_seg.models.distillers import (TeacherStudentMixin, level_channels,
                                          pixel_kd, seg_labels)
from selfkd_seg.registry import MODELS


@MODELS.register_module(codebases='mmseg')
class SFDSegmentor(TeacherStudentMixin, EncoderDecoder):
    """SFD for segmentation: a student segmentor distilled from a teacher.

    `Self-boosting for Feature Distillation (Pei, Qu and Zhang, IJCAI 2022)
    <https://www.ijcai.org/proceedings/2022/0131.pdf>`_, carried over to
    EfficientDet-style segmentation (our extension; the paper only does
    classification).  The student is a plain ``EncoderDecoder`` (``backbone``
    + ``neck`` + ``decode_head``) and keeps those attribute names.  Its
    feature levels are the neck outputs (``extract_feat``); the teacher's
    target is a level of the teacher's ``extract_feat`` (default: level 0, the
    finest BiFPN level, the one the head reads).  BiFPN outputs end with
    conv + BN and no activation, so they are the pre-activation features the
    margin loss expects; their margin is the running mean of the negative
    responses (``margin='running'``), because no single BN feeds a ReLU
    there.  Default student level: 0 as well (same stride as the teacher's);
    for LI/AI list three levels coarse to fine, e.g. ``(2, 1, 0)``, so the
    finest level gets the ``c/2`` branch.

    Training loss::

        decode.loss_*  CE(student)                             (+ aux heads)
        loss_feat      w * L_distill(g(student levels), max(Y, m))
        loss_kd        pixel KD(student || teacher logits)    (optional; label
                       resolution, ignore_index excluded)
        loss_kd_aux    the same between the auxiliary heads'
                       logits (optional, ``distill.kd_aux``)

    Teacher and student read the same preprocessed batch (the student's
    ``data_preprocessor``).  The teacher is frozen, runs under no_grad, stays
    in eval mode (``teacher_norm_eval=False``: BN in train mode), is left out
    of checkpoints unless ``save_teacher=True`` and is reloaded from
    ``teacher_ckpt`` at build time.  ``predict`` / ``tensor`` run the student
    only.

    Any mmseg ``EncoderDecoder`` pair works: level channels come from the
    neck's config or, without one, from a probe forward
    (:func:`level_channels`); the teacher can be named by its own config
    file (``teacher='mmseg::deeplabv3plus/...py'``).

    Args:
        teacher (dict | str): The teacher's model config (an
            ``EncoderDecoder``), or a config file whose ``model`` it is.
            Set its backbone's ``pretrained=None``: its weights come from
            ``teacher_ckpt``.
        **kwargs: The student, as :class:`EncoderDecoder`, and the
            :data:`TeacherStudentMixin.TEACHER_ARGS`.
    """

    DEFAULT_DISTILL = dict(
        loss=dict(type='OFDLoss', loss_weight=3.0),
        margin='running',
        kd=None,
        kd_aux=None,
        student_stages=(0, ),
        teacher_stages=(0, ))

    def __init__(self, teacher: Union[ConfigType, str], **kwargs):
        distillation = self.pop_teacher_args(kwargs)
        super().__init__(**kwargs)
        self._init_distillation(
            teacher=self.teacher_model_config(teacher),
            registry=SEG_MODELS,
            student_channels=level_channels(self),
            teacher_channels_fn=level_channels,
            **distillation)
        if 'kd_aux' in self.distill_losses:
            self._check_auxiliary_pairs()

    @staticmethod
    def teacher_model_config(teacher: Union[ConfigType, str]) -> dict:
        """``teacher`` as a model config: a dict as given, or the ``model``
        of the config file it names (e.g. ``'mmseg::deeplabv3plus/...py'``
        or a path), without its data preprocessor (the teacher reads the
        student's preprocessed batch) and without ``pretrained`` or a
        backbone ``init_cfg`` of type ``Pretrained`` (mmseg's SegFormer
        configs name their ImageNet MiT weights there): its weights come
        from ``teacher_ckpt``, and a random test teacher downloads
        nothing."""
        if not isinstance(teacher, str):
            return teacher
        cfg = get_config(teacher) if '::' in teacher else Config.fromfile(
            teacher)
        model = cfg.model.to_dict()
        model.pop('data_preprocessor', None)
        model.pop('pretrained', None)
        backbone = model.get('backbone') or {}
        if (backbone.get('init_cfg') or {}).get('type') == 'Pretrained':
            backbone.pop('init_cfg')
        return model

    @staticmethod
    def _auxiliary_heads(model) -> list:
        """``(loss prefix, head)`` of each auxiliary head of ``model``
        (mmseg's prefixes: ``aux`` for one, ``aux_{i}`` for a list)."""
        if not getattr(model, 'with_auxiliary_head', False):
            return []
        heads = model.auxiliary_head
        if isinstance(heads, nn.ModuleList):
            return [(f'aux_{i}', h) for i, h in enumerate(heads)]
        return [('aux', heads)]

    def _check_auxiliary_pairs(self) -> None:
        """``distill.kd_aux`` pairs the student's auxiliary heads with the
        teacher's, one to one, with the same classes."""
        student = self._auxiliary_heads(self)
        teacher = self._auxiliary_heads(self.teacher)
        if not student or len(student) != len(teacher):
            raise ValueError(
                'distill.kd_aux distils the auxiliary heads\' logits: the '
                f'student has {len(student)} auxiliary head(s), the teacher '
                f'{len(teacher)}; both need the same number (>= 1), or set '
                'distill.kd_aux=None')
        for (name, s), (_, t) in zip(student, teacher):
            if s.out_channels != t.out_channels:
                raise ValueError(
                    f'distill.kd_aux: student {name} head predicts '
                    f'{s.out_channels} classes, the teacher\'s '
                    f'{t.out_channels}')

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        feats = self.extract_feat(inputs)
        logits = self.decode_head(feats)
        losses = {
            f'decode.{k}': v
            for k, v in self.decode_head.loss_by_feat(logits,
                                                      data_samples).items()
        }
        kd_aux = 'kd_aux' in self.distill_losses
        aux_logits = []
        if self.with_auxiliary_head and kd_aux:
            # mmseg's auxiliary losses, keeping the logits for kd_aux
            for name, head in self._auxiliary_heads(self):
                aux_logits.append(head(feats))
                losses.update({
                    f'{name}.{k}': v
                    for k, v in head.loss_by_feat(aux_logits[-1],
                                                  data_samples).items()
                })
        elif self.with_auxiliary_head:
            losses.update(
                self._auxiliary_head_forward_train(feats, data_samples))

        with torch.no_grad():
            teacher_feats = self.teacher.extract_feat(inputs)
            teacher_logits = self.teacher.decode_head(teacher_feats) \
                if 'kd' in self.distill_losses else None
            teacher_aux_logits = [
                head(teacher_feats)
                for _, head in self._auxiliary_heads(self.teacher)
            ] if kd_aux else []
        if kd_aux:
            labels = seg_labels(data_samples)
            losses['loss_kd_aux'] = self.distill_weights['kd_aux'] * sum(
                pixel_kd(self.distill_losses['kd_aux'], s, t, labels,
                         self.decode_head.ignore_index, self.align_corners)[0]
                for s, t in zip(aux_logits, teacher_aux_logits))

        if 'feature' in self.distill_losses:
            losses['loss_feat'] = self.feature_distill_loss(
                feats, teacher_feats)
        if teacher_logits is not None:
            losses['loss_kd'] = self.distill_weights['kd'] * pixel_kd(
                self.distill_losses['kd'], logits, teacher_logits,
                seg_labels(data_samples), self.decode_head.ignore_index,
                self.align_corners)[0]
        return losses

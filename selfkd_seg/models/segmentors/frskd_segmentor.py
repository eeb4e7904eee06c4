"""FRSKD for semantic segmentation (Ji et al., CVPR 2021, Sec. 4.2)."""
import copy
from contextlib import contextmanager
from typing import Dict, List, Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor

from selfkd_seg.models.distillers import (DistillGate, FRSKDMixin,
                                          neck_level_channels, pixel_ce_pair,
                                          pixel_kd)
from selfkd_seg.models.utils.distill import check_config_keys
from selfkd_seg.registry import MODELS


class SegSelfTeacher(BaseModule):
    """The self-teacher: more BiFPN layers on the student's BiFPN, own head.

    ``detach_input=True`` (beyond the paper) cuts the self-teacher off the
    student's graph: its CE then trains only itself, and the student trains
    exactly as the baseline until the distillation terms switch on.
    """

    def __init__(self, neck: dict, decode_head: dict,
                 detach_input: bool = False):
        super().__init__(init_cfg=None)
        self.neck = SEG_MODELS.build(neck)
        self.decode_head = SEG_MODELS.build(decode_head)
        self.detach_input = bool(detach_input)

    def refine(self, student_feats: Sequence[Tensor]) -> Sequence[Tensor]:
        """The self-teacher's features, one per student level."""
        return self.neck(student_feats)

    def forward(self, student_feats: Sequence[Tensor]):
        if self.detach_input:
            student_feats = [f.detach() for f in student_feats]
        refined = self.refine(student_feats)
        return refined, self.decode_head(refined)


@MODELS.register_module(codebases='mmseg')
class FRSKDSegmentor(FRSKDMixin, EncoderDecoder):
    """Feature Refinement via Self-Knowledge Distillation for segmentation.

    Paper: `Refine Myself by Teaching Myself: Feature Refinement via
    Self-Knowledge Distillation <https://arxiv.org/abs/2103.08273>`_.

    The student is a plain encoder-decoder (``backbone`` + ``neck`` (BiFPN) +
    ``decode_head``) and keeps those attribute names, so its weights load
    into the baseline config.  The self-teacher (``self_teacher.neck``: more
    BiFPN layers stacked on the student's BiFPN outputs, which are *not*
    detached, and ``self_teacher.decode_head``) exists only for training.

    Training loss (one term per logged key)::

        decode.loss_*        CE(student)
        self_teacher.loss_*  CE(self-teacher)      -> trains self-teacher AND
                                                      the student's features
        loss_kd   = alpha * KD(student || self-teacher), per pixel, label 255
                    excluded; self-teacher logits detached
        loss_at   = beta * sum_levels AT(student BiFPN, self-teacher BiFPN);
                    self-teacher features detached

    so the distillation terms update only the student.  ``predict``,
    ``_forward`` and ``tensor`` mode run the student only (inside
    :meth:`self_teacher_view`, ``predict`` runs the self-teacher instead).

    Also logged (not losses): ``self_teacher.ce_lead`` = student CE minus
    self-teacher CE of the batch over the same labelled pixels, unweighted
    and unsampled (> 0: the self-teacher leads); with a gate
    ``gate.factor`` (the weights' multiplier) and ``gate.kd_kept`` (the
    fraction of valid pixels the KD term keeps).

    Args:
        self_teacher (dict): ``neck`` (required: the self-teacher's BiFPN
            layers. Without a ``type`` it is the student's neck config with
            the given keys changed, e.g. ``dict(num_layers=2)``, and with
            ``last_layer_top_down=True``: the last self-teacher layer
            outputs its top-down pass (the ``is_last`` layer of the authors'
            code), so every level it distils lies on the path to its head and
            is trained; with the EfficientDet bottom-up outputs, P3..P7 of
            the last layer would get no gradient and stay random. Its
            ``in_channels`` default to, and must equal, the student neck's
            outputs), ``decode_head`` (optional; default: a copy of the
            student's ``decode_head`` config) and ``detach_input`` (bool,
            default False, beyond the paper: the self-teacher reads detached
            student features, so its CE does not flow into the student).
        distill (dict): The FRSKD schema of :class:`FRSKDMixin`
            (``feature_act`` is applied to both the student's and the
            self-teacher's BiFPN outputs before the feature loss; ``None``
            compares the raw outputs). Defaults to FRSKD's segmentation
            code: alpha 1, beta 50, KD temperature 1, AT on post-ReLU
            features (the authors' BiFPN nodes end in ReLU; EfficientDet's
            end in BN, so AT would otherwise see pre-activation maps).
        gate (dict, optional): Beyond the paper: distil only where the
            self-teacher leads, :class:`DistillGate` arguments (``pixel``,
            ``lead``, ``lead_margin``, ``momentum``, ``trunk_grad``,
            ``lead_source``).
            ``None`` (the paper, default) distils everywhere at the
            scheduled weights.
        **kwargs: The student, as :class:`EncoderDecoder` (``neck``
            required).
    """

    DEFAULT_DISTILL = dict(
        FRSKDMixin.DEFAULT_DISTILL, beta=50.0,
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_act=dict(type='ReLU'))

    def __init__(self,
                 self_teacher: ConfigType,
                 distill: OptConfigType = None,
                 gate: OptConfigType = None,
                 **kwargs):
        self._check_student_config(kwargs)
        super().__init__(**kwargs)
        # everything below draws from the self-teacher's own stream: the
        # student's weights and dropout masks are the baseline's
        with self._new_self_teacher_rng().build():
            self.self_teacher = self._build_self_teacher(
                copy.deepcopy(dict(self_teacher)), kwargs.get('neck'),
                kwargs['decode_head'])
            self._init_distillation(distill, gate)
        self._predict_with_self_teacher = False

    @staticmethod
    def _check_student_config(kwargs: dict) -> None:
        """Refuse, before anything is built, a student this class can't
        serve."""
        if kwargs.get('neck') is None:
            raise ValueError('FRSKDSegmentor needs a multi-level neck (BiFPN) '
                             'for the self-teacher to refine; neck is None. '
                             'For a model without one (any mmseg '
                             'EncoderDecoder) use FRSKDEncoderDecoder')

    def _build_self_teacher(self, self_teacher: dict, neck: dict,
                            decode_head: dict) -> SegSelfTeacher:
        """More layers of the student's BiFPN on its outputs, own head."""
        check_config_keys(self_teacher, ('neck', 'decode_head', 'detach_input'),
                          f'{type(self).__name__} self_teacher')
        if 'neck' not in self_teacher:
            raise KeyError('self_teacher must have a "neck" config (the '
                           'BiFPN layers stacked on the student BiFPN)')
        head_cfg = copy.deepcopy(
            dict(self_teacher.get('decode_head') or decode_head))
        neck_cfg = dict(self_teacher['neck'])
        if 'type' not in neck_cfg:
            # more layers of the student's own BiFPN, fed with its outputs
            inherited = copy.deepcopy(dict(neck))
            inherited.update(in_channels=None)
            if 'min_level' in inherited:
                inherited['backbone_min_level'] = inherited['min_level']
            inherited['last_layer_top_down'] = True
            neck_cfg = {**inherited, **neck_cfg}
        if neck_cfg.get('in_channels') is None:
            neck_cfg['in_channels'] = neck_level_channels(self)
        self_teacher['neck'] = neck_cfg
        self._check_self_teacher(neck_cfg, head_cfg)
        return SegSelfTeacher(self_teacher['neck'], head_cfg,
                              self_teacher.get('detach_input', False))

    def _init_distillation(self, distill: OptConfigType,
                           gate: OptConfigType) -> None:
        """The KD and feature losses, their weights and the optional gate."""
        distill, kd_loss = self._init_frskd(distill, SEG_MODELS)
        for key in ('margin', 'level_weights'):
            if distill.get(key) is not None:
                raise ValueError(f'distill.{key} is for OFDLoss on pre-ReLU '
                                 'features, which FRSKDSegmentor does not use')
        self.distill_losses = nn.ModuleDict(
            dict(kd=kd_loss, feature=SEG_MODELS.build(distill['feature_loss'])))
        if gate is not None:
            gate = dict(gate)
            check_config_keys(gate,
                              ('pixel', 'lead', 'lead_margin', 'momentum',
                               'trunk_grad', 'lead_source'),
                              f'{type(self).__name__} gate')
            self.distill_gate = DistillGate(**gate)
        else:
            self.distill_gate = None

    def _check_self_teacher(self, neck_cfg: dict, head_cfg: dict) -> None:
        """Fail at build time, not at the first iteration, on a mismatch."""
        expected = neck_level_channels(self)
        in_channels = neck_cfg.get('in_channels')
        if expected is not None and in_channels is not None:
            if isinstance(in_channels, int):
                in_channels = [in_channels] * len(expected)
            if list(in_channels) != expected:
                raise ValueError(
                    'self_teacher.neck.in_channels must match the student '
                    f'neck outputs: expected {expected}, got '
                    f'{list(in_channels)}')
        self._check_num_classes(head_cfg)

    def _check_num_classes(self, head_cfg: dict) -> None:
        if head_cfg.get('num_classes') != self.num_classes:
            raise ValueError(
                'self_teacher.decode_head.num_classes must equal the student '
                f'decode_head.num_classes ({self.num_classes}), got '
                f"{head_cfg.get('num_classes')}")

    # ------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        feats = self.extract_feat(inputs)
        student_logits, losses = self._student_decode_losses(
            feats, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(
                feats, data_samples))

        gate = self.distill_gate
        # the gate's factor from the running lead before this batch; it
        # scales the weights and (trunk_grad) the self-teacher's gradient
        # into the student's features
        factor = gate.factor() if gate is not None else 1.0
        levels = self._distill_levels(feats)
        with self.self_teacher_rng.step(levels[0].device):
            refined, teacher_logits = self.self_teacher(
                gate.scale_grad(levels, factor) if gate is not None else
                levels)
        losses.update(
            self._head_losses(self.self_teacher.decode_head, teacher_logits,
                              data_samples, 'self_teacher'))

        # the lead: both CEs over the same labelled pixels (the heads'
        # losses may sample different pixels, e.g. OHEM)
        student_ce, teacher_ce = pixel_ce_pair(self, student_logits,
                                               teacher_logits, data_samples)
        losses['self_teacher.ce_lead'] = student_ce - teacher_ce

        alpha, beta = self._frskd_weights()
        if gate is not None:
            gate.update(student_ce, teacher_ce)
            alpha, beta = alpha * factor, beta * factor
            losses['gate.factor'] = student_logits.new_tensor(factor)
        losses['loss_kd'] = alpha * pixel_kd(
            self, student_logits, teacher_logits, data_samples,
            gate) if alpha > 0 else student_logits.new_zeros(())
        if gate is not None:
            # 0 while the gate is closed (no stale value in the logs)
            losses['gate.kd_kept'] = (gate.last_kept if alpha > 0 else
                                      student_logits.new_zeros(()))
        losses['loss_at'] = beta * self.distill_losses['feature'](
            [self.feature_act(f) for f in levels],
            [self.feature_act(f) for f in refined]) if beta > 0 else \
            student_logits.new_zeros(())
        return losses

    def _distill_levels(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """The student features the self-teacher refines and AT compares:
        here every level of the student's BiFPN."""
        return list(feats)

    def _student_decode_losses(
            self, feats: Sequence[Tensor],
            data_samples: SampleList) -> Tuple[Tensor, Dict[str, Tensor]]:
        """The student's logits (the ones KD and the lead compare) and its
        decode head's losses, as ``EncoderDecoder`` logs them."""
        logits = self.decode_head(feats)
        return logits, self._head_losses(self.decode_head, logits,
                                         data_samples, 'decode')

    def _student_logits(self, feats: Sequence[Tensor]) -> Tensor:
        return self.decode_head(feats)

    @staticmethod
    def _head_losses(head, logits: Tensor, data_samples: SampleList,
                     prefix: str) -> Dict[str, Tensor]:
        return {
            f'{prefix}.{k}': v
            for k, v in head.loss_by_feat(logits, data_samples).items()
        }

    def self_teacher_forward(self, inputs: Tensor):
        """Student BiFPN features, self-teacher features and both logits.

        For analysis (attention maps, complexity); not used by predict.
        """
        feats = self.extract_feat(inputs)
        levels = self._distill_levels(feats)
        refined, teacher_logits = self.self_teacher(levels)
        return dict(
            student_feats=levels,
            teacher_feats=list(refined),
            student_logits=self._student_logits(feats),
            teacher_logits=teacher_logits)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]):
        """The student's logits, or the self-teacher's inside
        :meth:`self_teacher_view`."""
        if not self._predict_with_self_teacher:
            return super().encode_decode(inputs, batch_img_metas)
        refined = self.self_teacher.refine(
            self._distill_levels(self.extract_feat(inputs)))
        return self.self_teacher.decode_head.predict(refined, batch_img_metas,
                                                     self.test_cfg)

    @contextmanager
    def self_teacher_view(self):
        """Inside this context ``predict``/``val_step``/``test_step`` give the
        self-teacher's predictions (backbone -> student BiFPN -> self-teacher
        BiFPN -> self-teacher head), with the test config's mode (whole or
        slide). Used by :class:`SelfTeacherLeadHook`; the student path is
        restored on exit, also after an error."""
        previous = self._predict_with_self_teacher
        self._predict_with_self_teacher = True
        try:
            yield self
        finally:
            self._predict_with_self_teacher = previous

"""FRSKD for semantic segmentation (Ji et al., CVPR 2021, Sec. 4.2)."""
import copy
from contextlib import contextmanager
from typing import List, Optional

import torch.nn as nn
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor

from selfkd_seg.models.distillers import (DistillGate, FRSKDMixin,
                                          pixel_ce_pair, pixel_kd, seg_labels)
from selfkd_seg.models.self_teachers import (BiFPNStackPlan, SegSelfTeacher,
                                             SingleHeadRunner)
from selfkd_seg.models.utils.distill import check_config_keys, signature_keys
from selfkd_seg.registry import MODELS


class FRSKDSegMixin(FRSKDMixin):
    """FRSKD for an mmseg segmentor, from two parts.

    - ``plan`` (class attribute): derives the :class:`SegSelfTeacher`
      (level adapter, BiFPN stack, head) from the built student and the
      ``self_teacher`` config (:mod:`selfkd_seg.models.self_teachers.plans`).
    - ``head_runner`` (class attribute): runs the student's decode head(s)
      (single head or cascade,
      :mod:`selfkd_seg.models.self_teachers.head_runners`).

    A registered FRSKD segmentor is this mixin on one mmseg segmentor class
    with its two parts named; the student keeps the mmseg class's attribute
    names, so its weights load strictly into the stock config. The
    self-teacher (``self_teacher``), the losses (``distill_losses``) and
    the optional gate (``distill_gate``) exist only for training.

    Training loss (one term per logged key)::

        decode*.loss_*       CE(student), mmseg's names (+ auxiliary heads)
        self_teacher.loss_*  CE(self-teacher)      -> trains the self-teacher
                                                      AND the student's
                                                      features
        loss_kd   = alpha * KD(student || self-teacher), per pixel, label 255
                    excluded; self-teacher logits detached
        loss_feat = beta * feature loss (AT by default) between the student
                    levels and the self-teacher's refined levels;
                    self-teacher features detached

    so the distillation terms update only the student. ``predict``,
    ``_forward`` and ``tensor`` mode run the student only (inside
    :meth:`self_teacher_view`, ``predict`` runs the self-teacher instead).

    Also logged (not losses): ``self_teacher.ce_lead`` = student CE minus
    self-teacher CE of the batch over the same labelled pixels, unweighted
    and unsampled (> 0: the self-teacher leads); with a gate
    ``gate.factor`` (the weights' multiplier) and ``gate.kd_kept`` (the
    fraction of valid pixels the KD term keeps).

    The model talks to :class:`SelfTeacherLeadHook` through
    :meth:`self_teacher_view`, :meth:`gate_lead_source`,
    :meth:`set_held_out_lead` and :attr:`ignore_index`
    (:class:`~selfkd_seg.models.distillers.SelfTeacherLeadTarget`).
    """

    plan = BiFPNStackPlan()
    head_runner = SingleHeadRunner()

    DEFAULT_DISTILL = dict(
        FRSKDMixin.DEFAULT_DISTILL,
        beta=50.0,
        kd_loss=dict(type='KDLoss', temperature=1.0),
        feature_act=dict(type='ReLU'))

    def __init__(self,
                 self_teacher: ConfigType,
                 distill: OptConfigType = None,
                 gate: OptConfigType = None,
                 **kwargs):
        owner = type(self).__name__
        # refuse, before anything is built, a student the parts can't serve
        self.plan.check_student(kwargs, owner)
        self.head_runner.check_student(kwargs, owner)
        super().__init__(**kwargs)
        # everything below draws from the self-teacher's own stream: the
        # student's weights and dropout masks are the baseline's
        with self._new_self_teacher_rng().build():
            self.self_teacher: SegSelfTeacher = MODELS.build(
                self.plan(self, copy.deepcopy(dict(self_teacher)), kwargs,
                          self.head_runner))
            self._init_distillation(distill, gate)
        self._predict_with_self_teacher = False

    def _init_distillation(self, distill: OptConfigType,
                           gate: OptConfigType) -> None:
        """The KD and feature losses, their weights and the optional gate."""
        distill, kd_loss = self._init_frskd(distill, SEG_MODELS)
        for key in ('margin', 'level_weights'):
            if distill.get(key) is not None:
                raise ValueError(f'distill.{key} is for OFDLoss on pre-ReLU '
                                 'features, which FRSKD segmentation does '
                                 'not use')
        self.distill_losses = nn.ModuleDict(
            dict(
                kd=kd_loss, feature=SEG_MODELS.build(distill['feature_loss'])))
        self.distill_gate: Optional[DistillGate] = None
        if gate is not None:
            check_config_keys(gate, signature_keys(DistillGate),
                              f'{type(self).__name__} gate')
            self.distill_gate = DistillGate(**gate)

    # ------------------------------------------------------------------
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """FRSKD's objective: CE(student) + CE(self-teacher)
        + alpha * KD + beta * feature loss, and the optional gate's step."""
        feats = self.extract_feat(inputs)
        student_logits, losses = self.head_runner.loss(self, feats,
                                                       data_samples)
        if self.with_auxiliary_head:
            losses.update(
                self._auxiliary_head_forward_train(feats, data_samples))

        # the gate's factor from the running lead before this batch: it
        # scales alpha, beta and (trunk_grad) the self-teacher's gradient
        # into the student's features; 1 without a gate
        gate = self.distill_gate
        factor = gate.factor() if gate is not None else 1.0
        levels = self.self_teacher.select(feats)
        with self.self_teacher_rng.step(levels[0].device):
            refined, teacher_logits = self.self_teacher(
                gate.scale_grad(levels, factor) if gate is not None else levels
            )
        losses.update(
            self.self_teacher.loss_by_feat(teacher_logits, data_samples))

        # the lead: both CEs over the same labelled pixels (the heads'
        # losses may sample different pixels, e.g. OHEM)
        labels = seg_labels(data_samples)
        ignore_index = self.ignore_index
        student_ce, teacher_ce = pixel_ce_pair(student_logits, teacher_logits,
                                               labels, ignore_index,
                                               self.align_corners)
        losses['self_teacher.ce_lead'] = student_ce - teacher_ce

        alpha, beta = self._frskd_weights()
        if gate is not None:
            gate.update(student_ce, teacher_ce)
            alpha, beta = alpha * factor, beta * factor
            losses['gate.factor'] = student_logits.new_tensor(factor)
        zero = student_logits.new_zeros(())
        kd, kept = pixel_kd(
            self.distill_losses['kd'], student_logits, teacher_logits,
            labels, ignore_index, self.align_corners,
            gate.pixel_mask if gate is not None else None) \
            if alpha > 0 else (zero, zero)
        losses['loss_kd'] = alpha * kd if alpha > 0 else zero
        if gate is not None:
            # 0 while the gate is closed (no stale value in the logs)
            losses['gate.kd_kept'] = kept
        losses['loss_feat'] = beta * self.distill_losses['feature'](
            [self.feature_act(f)
             for f in levels], [self.feature_act(f)
                                for f in refined]) if beta > 0 else zero
        return losses

    @property
    def ignore_index(self) -> int:
        """The label the model's output head ignores."""
        return self.head_runner.last_head(self).ignore_index

    def self_teacher_forward(self, inputs: Tensor) -> dict:
        """Student levels, self-teacher levels and both logits.

        For analysis (attention maps, complexity); not used by predict.
        """
        feats = self.extract_feat(inputs)
        levels = self.self_teacher.select(feats)
        refined, teacher_logits = self.self_teacher(levels)
        return dict(
            student_feats=levels,
            teacher_feats=list(refined),
            student_logits=self.head_runner.logits(self, feats),
            teacher_logits=teacher_logits)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]):
        """The student's logits, or the self-teacher's inside
        :meth:`self_teacher_view`."""
        if not self._predict_with_self_teacher:
            return super().encode_decode(inputs, batch_img_metas)
        return self.self_teacher.predict(
            self.extract_feat(inputs), batch_img_metas, self.test_cfg)

    # the SelfTeacherLeadTarget contract -------------------------------
    @contextmanager
    def self_teacher_view(self):
        """Inside this context ``predict``/``val_step``/``test_step`` give the
        self-teacher's predictions (backbone -> student levels -> self-teacher
        BiFPN -> self-teacher head), with the test config's mode (whole or
        slide). Used by :class:`SelfTeacherLeadHook`; the student path is
        restored on exit, also after an error."""
        previous = self._predict_with_self_teacher
        self._predict_with_self_teacher = True
        try:
            yield self
        finally:
            self._predict_with_self_teacher = previous

    def gate_lead_source(self) -> Optional[str]:
        """What opens the gate (``'train_ce'``/``'held_out'``); None
        without a gate."""
        gate = self.distill_gate
        return gate.lead_source if gate is not None else None

    def set_held_out_lead(self, lead: float) -> float:
        """Give the gate the measured held-out lead (mIoU points); returns
        the gate's factor from now on."""
        if self.distill_gate is None:
            raise RuntimeError(f'{type(self).__name__}: set_held_out_lead '
                               'needs gate=dict(lead_source="held_out")')
        self.distill_gate.set_held_out_lead(lead)
        return self.distill_gate.factor()


@MODELS.register_module(codebases='mmseg')
class FRSKDSegmentor(FRSKDSegMixin, EncoderDecoder):
    """Feature Refinement via Self-Knowledge Distillation for segmentation.

    Paper: `Refine Myself by Teaching Myself: Feature Refinement via
    Self-Knowledge Distillation <https://arxiv.org/abs/2103.08273>`_.

    The paper's model: the student is a plain encoder-decoder (``backbone``
    + ``neck`` (BiFPN) + ``decode_head``) and keeps those attribute names,
    so its weights load into the baseline config. The self-teacher
    (:class:`BiFPNStackPlan`) stacks more BiFPN layers on the student's
    BiFPN outputs, which are *not* detached, with its own head. Losses and
    logged keys: :class:`FRSKDSegMixin`.

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
            self-teacher leads, :class:`DistillGate` arguments (checked
            against its signature). ``None`` (the paper, default) distils
            everywhere at the scheduled weights.
        **kwargs: The student, as :class:`EncoderDecoder` (``neck``
            required).
    """

    plan = BiFPNStackPlan()
    head_runner = SingleHeadRunner()

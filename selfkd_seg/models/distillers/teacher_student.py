"""The teacher-student part shared by SFD's segmentor and classifier.

:class:`TeacherStudentMixin` gives a student model (mmseg ``EncoderDecoder``
or mmpretrain ``ImageClassifier``) a frozen teacher, an integrator, margins
and the distillation losses, all under the training-only attribute names of
:data:`selfkd_seg.models.utils.DISTILL_ONLY_PREFIXES` (``teacher``,
``integrator``, ``margin_estimator``, ``distill_losses``), so the student
keeps the plain model's attribute names and exports cleanly.
"""
import copy
from typing import Callable, List, Optional, Sequence

import torch.nn as nn
from torch import Tensor

from selfkd_seg.models.utils.distill import check_config_keys
from selfkd_seg.models.utils.private_rng import initialised_apart, part_stream
from selfkd_seg.models.utils.teacher import (build_teacher,
                                             register_teacher_state_hooks,
                                             set_teacher_mode)
from .margins import MarginProvider
from .weights import DistillWeights

# the teacher-student attributes that only training uses, in the order
# they are built
TRAINING_ONLY_PARTS = ('teacher', 'integrator', 'margin_estimator',
                       'distill_losses', 'distill_weights')


def _normalize_indices(indices, num: int, what: str) -> tuple:
    if indices is None:
        return tuple(range(num))
    if isinstance(indices, int):
        indices = (indices, )
    out = []
    for i in indices:
        if not isinstance(i, int) or not -num <= i < num:
            raise ValueError(f'distill.{what}: index {i!r} is out of range '
                             f'for {num} feature levels')
        out.append(i % num)
    if not out:
        raise ValueError(f'distill.{what} must not be empty')
    return tuple(out)


class TeacherStudentMixin:
    """Teacher, integrator, margins and losses of a teacher-student model.

    The subclass calls :meth:`_init_distillation` after building the student
    and implements ``loss()`` with :meth:`teacher_forward`-style code and
    :meth:`feature_distill_loss`.

    ``distill`` keys (subclasses add their own defaults):

    - ``loss``: the feature loss config. ``OFDLoss`` (with a margin) is
      called as ``loss(s, t, margins)``, other losses (``ATLoss``,
      ``FitNetLoss``) as ``loss(s, t)``; ``s`` and ``t`` are lists of levels.
      ``None`` disables feature distillation (KD-only baseline).
    - ``margin``: see :mod:`.margins` (``'bn'``: Overhaul's margin from the
      teacher's BN before the target ReLU, computed once; ``'running'``: any
      teacher; ``None``: losses without margin).
    - ``loss_weight`` of ``loss`` / ``kd``: the term's weight, kept in
      ``distill_weights`` (``feature`` / ``kd``) and not in the loss module.
    - ``kd``: logit distillation loss config (e.g. ``KDLoss``) or ``None``.
    - ``kd_aux`` (segmentation): the same on the auxiliary heads' logits
      (DIST's recipe: 0.4 x DIST there), or ``None``.
    - ``student_stages`` / ``teacher_stages``: which feature levels are
      used.  With an integrator, the student stages are its inputs and
      ``teacher_stages`` must name the single target level; without one,
      level ``k`` of the student is compared with level ``k`` of the teacher.

    Keyword arguments of every teacher-student model (:data:`TEACHER_ARGS`,
    taken out of the student's with :meth:`pop_teacher_args`):
    ``teacher_ckpt`` (required unless ``allow_random_teacher=True``, for
    tests), ``integrator`` (default ``ReceptiveFieldIntegration``,
    ``in_channels`` / ``out_channels`` filled in; ``None`` compares levels
    directly: AT, FitNet and KD baselines), ``distill`` (overrides of
    :attr:`DEFAULT_DISTILL`), ``teacher_norm_eval`` (keep the teacher's BN in
    eval mode) and ``save_teacher`` (also save the teacher in checkpoints).
    """

    DEFAULT_DISTILL: dict = {}
    TEACHER_ARGS = ('teacher_ckpt', 'integrator', 'distill',
                    'teacher_norm_eval', 'save_teacher',
                    'allow_random_teacher')

    @classmethod
    def pop_teacher_args(cls, kwargs: dict) -> dict:
        """Split the teacher-student arguments off the student's."""
        return {k: kwargs.pop(k) for k in cls.TEACHER_ARGS if k in kwargs}

    def _init_distillation(self, **kwargs) -> dict:
        """Build the training-only parts (:meth:`_build_distillation`'s
        arguments) under a random stream of their own
        (:func:`part_stream`): building them draws nothing from the
        global generators, so the student is constructed and initialised
        (:meth:`init_weights`) exactly as the plain model of the same seed,
        and a same-seed comparison with the baseline starts from the same
        weights. Returns the merged distill cfg."""
        self.distill_rng = part_stream(self, 'distillation')
        with self.distill_rng.build():
            return self._build_distillation(**kwargs)

    def init_weights(self) -> None:
        """The student's initialisation of the plain model; the
        training-only parts (integrator, losses; the teacher is loaded)
        initialised apart (:func:`initialised_apart`)."""
        with initialised_apart(self, TRAINING_ONLY_PARTS, self.distill_rng):
            super().init_weights()

    def _build_distillation(self,
                            *,
                            teacher: dict,
                            registry,
                            student_channels: Optional[Sequence[int]],
                            teacher_channels_fn: Callable,
                            teacher_ckpt: Optional[str] = None,
                            integrator: Optional[dict] = dict(
                                type='ReceptiveFieldIntegration'),
                            distill: Optional[dict] = None,
                            teacher_norm_eval: bool = True,
                            save_teacher: bool = False,
                            allow_random_teacher: bool = False) -> dict:
        """Build the training-only parts; returns the merged distill cfg."""
        check_config_keys(distill, self.DEFAULT_DISTILL,
                          f'{type(self).__name__} distill')
        distill = {**copy.deepcopy(self.DEFAULT_DISTILL), **(distill or {})}

        self.teacher = build_teacher(teacher, registry, teacher_ckpt,
                                     allow_random_teacher)
        register_teacher_state_hooks(self, 'teacher', save_teacher)
        self.teacher_norm_eval = teacher_norm_eval
        self.save_teacher = save_teacher
        set_teacher_mode(self.teacher, teacher_norm_eval)
        teacher_channels = list(teacher_channels_fn(self.teacher))

        if student_channels is not None:
            self.student_stages = _normalize_indices(distill['student_stages'],
                                                     len(student_channels),
                                                     'student_stages')
        else:  # channels unknown: indices are taken as given
            self.student_stages = tuple(distill['student_stages'] or ())
        self.teacher_stages = _normalize_indices(distill['teacher_stages'],
                                                 len(teacher_channels),
                                                 'teacher_stages')
        target_channels = [teacher_channels[i] for i in self.teacher_stages]

        self.integrator = None
        if integrator is not None and distill['loss'] is None:
            raise ValueError('an integrator is set but distill.loss is None; '
                             'set integrator=None for logit-only KD')
        if integrator is not None:
            if len(self.teacher_stages) != 1:
                raise ValueError(
                    'an integrator maps the student onto ONE teacher level; '
                    f'distill.teacher_stages is {self.teacher_stages}')
            integrator = copy.deepcopy(dict(integrator))
            if 'in_channels' not in integrator:
                if student_channels is None:
                    raise ValueError(
                        'cannot infer integrator.in_channels from the '
                        'student; set it explicitly')
                integrator['in_channels'] = [
                    student_channels[i] for i in self.student_stages
                ]
            integrator.setdefault('out_channels', target_channels[0])
            if integrator['out_channels'] != target_channels[0]:
                raise ValueError(
                    f"integrator.out_channels={integrator['out_channels']} "
                    'but the teacher target level has '
                    f'{target_channels[0]} channels')
            try:
                self.integrator = registry.build(integrator)
            except ValueError as e:  # name the pairing, not just the module
                raise ValueError(
                    f"{integrator.get('type')} cannot map student levels "
                    f'{self.student_stages} (channels '
                    f"{integrator['in_channels']}) onto teacher level "
                    f'{self.teacher_stages[0]} ({target_channels[0]} '
                    f'channels): {e}') from e
        elif (student_channels is not None and distill['loss'] is not None
              and len(self.student_stages) != len(self.teacher_stages)):
            raise ValueError(
                'without an integrator student and teacher levels pair up: '
                f'student_stages {self.student_stages} vs teacher_stages '
                f'{self.teacher_stages}')
        loss_type = (distill['loss'] or {}).get('type')
        if self.integrator is None and loss_type == 'OFDLoss' and \
                student_channels is not None:
            for i, j in zip(self.student_stages, self.teacher_stages):
                if student_channels[i] != teacher_channels[j]:
                    raise ValueError(
                        f'OFDLoss without an integrator compares student '
                        f'level {i} ({student_channels[i]} channels) with '
                        f'teacher level {j} ({teacher_channels[j]} '
                        'channels); set an integrator (e.g. ConvBNConnector)')

        self.margin_estimator = MarginProvider(
            distill['margin'] if distill['loss'] is not None else None,
            target_channels, self._target_norms)

        # each term's weight is its loss config's loss_weight, taken out of
        # the loss so that it lives (and is scheduled) in one place
        losses, weights = {}, {}
        for name, key in (('feature', 'loss'), ('kd', 'kd'), ('kd_aux',
                                                              'kd_aux')):
            if distill.get(key) is not None:
                cfg = dict(distill[key])
                weights[name] = cfg.pop('loss_weight', 1.0)
                losses[name] = registry.build(cfg)
        if not losses:
            raise ValueError('distill.loss and distill.kd are both None: '
                             'nothing to distill')
        self.distill_losses = nn.ModuleDict(losses)
        self.distill_weights = DistillWeights(**weights)
        return distill

    # --------------------------------------------------------------- teacher
    def teacher_norms_before_relu(self) -> List[nn.Module]:
        """Norm layers feeding the ReLU after each teacher level ('bn')."""
        raise NotImplementedError(
            f"{type(self).__name__}: margin='bn' is not available for this "
            "teacher; use margin='running'")

    def train(self, mode: bool = True):
        super().train(mode)
        teacher = self._modules.get('teacher')
        if teacher is not None:
            # the teacher never trains; with teacher_norm_eval=False its norm
            # layers use batch statistics while the student trains (Overhaul)
            set_teacher_mode(teacher, self.teacher_norm_eval or not mode)
        return self

    # ------------------------------------------------------------------ loss
    def _target_norms(self) -> List[nn.Module]:
        norms = self.teacher_norms_before_relu()
        return [norms[i] for i in self.teacher_stages]

    def feature_distill_loss(self, student_feats: Sequence[Tensor],
                             teacher_feats: Sequence[Tensor]) -> Tensor:
        """``L_distill(g(Z), max(Y, m))`` (or the baseline's feature loss)."""
        student = [student_feats[i] for i in self.student_stages]
        targets = [teacher_feats[i].detach() for i in self.teacher_stages]
        if self.integrator is not None:
            student = [self.integrator(student, targets[0].shape[-2:])]
        margins = self.margin_estimator(targets, self._target_norms)
        loss = self.distill_losses['feature'](
            student, targets, *([] if margins is None else [margins]))
        return self.distill_weights['feature'] * loss

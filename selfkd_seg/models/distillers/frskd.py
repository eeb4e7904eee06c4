"""The FRSKD part shared by the segmentor and the classifier."""
import copy
from typing import Tuple

import torch.nn as nn
from mmcv.cnn import build_activation_layer

from selfkd_seg.models.utils.distill import check_config_keys, signature_keys
from selfkd_seg.models.utils.private_rng import (PrivateRandomStream,
                                                 initialised_apart,
                                                 part_stream)
from .weights import DistillWeights

# One ``distill`` schema for FRSKD segmentation and classification.
DISTILL_KEYS = ('alpha', 'beta', 'kd_loss', 'temperature', 'feature_loss',
                'feature_act', 'margin', 'level_weights')


class FRSKDMixin:
    """``alpha * KD(student || self-teacher) + beta * feature loss``.

    ``distill`` keys (each task class sets :attr:`DEFAULT_DISTILL`):

    - ``alpha`` / ``beta`` (float >= 0): the weights of the KD and feature
      terms, kept in ``self.distill_weights`` (a :class:`DistillWeights`
      that :class:`DistillWeightScheduleHook` scales).
    - ``kd_loss`` (dict): the KD loss; ``temperature`` (float) is a shorthand
      for ``kd_loss=dict(type='KDLoss', temperature=...)``.
    - ``feature_loss`` (dict): ``ATLoss``, ``FitNetLoss`` or ``OFDLoss``.
    - ``feature_act`` (dict, optional): activation applied to both sides'
      features before the feature loss (not with ``OFDLoss``).
    - ``margin`` / ``level_weights``: ``OFDLoss`` only, see
      :mod:`selfkd_seg.models.distillers.margins`.

    Losses carry no weight of their own: a ``loss_weight`` in ``kd_loss`` or
    ``feature_loss`` would multiply alpha/beta a second time and is refused.

    The self-teacher (attribute ``self_teacher``) and everything built after
    the student draws its random numbers from its own stream
    (:class:`PrivateRandomStream`, ``self.self_teacher_rng``): building it
    inside :meth:`self_teacher_rng.build() <PrivateRandomStream.build>`, its
    ``init_weights`` and its training forward inside
    :meth:`~PrivateRandomStream.step` leave the global generators as the
    baseline has them, so a FRSKD student starts from the baseline's weights
    of the same seed, bit for bit, and draws the same dropout masks.
    """

    DEFAULT_DISTILL = dict(
        alpha=1.0,
        beta=0.0,
        kd_loss=dict(type='KDLoss'),
        temperature=None,
        feature_loss=dict(type='ATLoss'),
        feature_act=None,
        margin=None,
        level_weights=None)

    def _init_frskd(self, distill, registry) -> Tuple[dict, nn.Module]:
        """Check and merge ``distill``; returns it and the built KD loss."""
        check_config_keys(distill, DISTILL_KEYS,
                          f'{type(self).__name__} distill')
        distill = {
            **copy.deepcopy(self.DEFAULT_DISTILL),
            **dict(distill or {})
        }
        kd_cfg = dict(distill['kd_loss'])
        if distill.get('temperature') is not None:
            kd_cls = registry.get(kd_cfg.get('type'))
            if kd_cls is not None and 'temperature' not in signature_keys(
                    kd_cls):
                # CWDLoss / DISTLoss call theirs tau
                raise ValueError(
                    'distill.temperature is the temperature of KDLoss; '
                    f"{kd_cfg.get('type')} takes none: set its own "
                    f"(e.g. kd_loss=dict(type='{kd_cfg.get('type')}', "
                    'tau=...))')
            kd_cfg['temperature'] = distill['temperature']
        for key, weight in (('kd_loss', 'alpha'), ('feature_loss', 'beta')):
            cfg = kd_cfg if key == 'kd_loss' else distill[key]
            if cfg.get('loss_weight', 1.0) != 1.0:
                raise ValueError(f'distill.{key}.loss_weight: the weight of '
                                 f'this term is distill.{weight}')
        self.distill_weights = DistillWeights(
            alpha=distill['alpha'], beta=distill['beta'])
        self.feature_act = (
            build_activation_layer(dict(distill['feature_act']))
            if distill['feature_act'] else nn.Identity())
        return distill, registry.build(kd_cfg)

    def _new_self_teacher_rng(self) -> PrivateRandomStream:
        """The self-teacher's random stream; create it once the student is
        built, before the self-teacher."""
        self.self_teacher_rng = part_stream(self, 'self_teacher')
        return self.self_teacher_rng

    def init_weights(self) -> None:
        """The student's initialisation of the baseline; the self-teacher's
        drawn apart (:func:`initialised_apart`)."""
        with initialised_apart(self, 'self_teacher', self.self_teacher_rng):
            super().init_weights()

    def _frskd_weights(self) -> Tuple[float, float]:
        """(alpha, beta) in effect; a schedule must not make them negative."""
        for key, value in self.distill_weights.items():
            if value < 0:
                raise ValueError(f'distill.{key} must be >= 0, got {value}')
        return self.distill_weights['alpha'], self.distill_weights['beta']

"""FRSKD for image classification: a classifier plus its own self-teacher."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS as CLS_MODELS
from mmpretrain.structures import DataSample

from selfkd_seg.models.distillers import FRSKDMixin, MarginProvider
from selfkd_seg.models.losses import OFDLoss
from selfkd_seg.registry import MODELS

FEATURE_LOSSES = ('ATLoss', 'FitNetLoss', 'OFDLoss')


@MODELS.register_module(codebases='mmpretrain')
class FRSKDClassifier(FRSKDMixin, ImageClassifier):
    """Image classifier trained with Feature Refinement via Self-KD.

    `Refine Myself by Teaching Myself: Feature Refinement via Self-Knowledge
    Distillation <https://arxiv.org/abs/2103.08273>`_ (FRSKD, CVPR 2021).
    The self-teacher (:class:`FRSKDBiFPNc` / :class:`FRSKDBiFPN`) refines the
    classifier's stage features ``F_i`` into ``T_i`` and classifies them; the
    training loss is (``loss()`` computes the terms in this order)::

        L = CE(classifier) + CE(self-teacher)
            + alpha * KD(classifier || self-teacher, T)
            + beta * feature_loss(F_i, T_i)

    The features enter the self-teacher undetached, so CE(self-teacher) also
    trains the backbone; the self-teacher's outputs are detached inside the
    distillation terms, which therefore train the classifier only.  Both CE
    terms use the head's own loss (``head._get_loss``), so soft labels from
    Mixup/CutMix batch augments work for both (set ``use_soft=True`` in the
    head's loss, as mmpretrain's mixup configs do).

    Prediction, ``extract_feat`` and export use the classifier alone: the
    training-only parts live under ``self_teacher``, ``distill_losses`` and
    ``margin_estimator`` (see ``DISTILL_ONLY_PREFIXES``), so the exported
    student loads into the plain ``ImageClassifier`` config.

    The backbone must return every stage (``out_indices`` covering all of
    them).  The selfkd_seg CIFAR backbones also provide
    ``forward_stages() -> (pre, post)``, needed for the Overhaul loss which
    works on pre-ReLU features.

    Args:
        self_teacher (dict): Config of the self-teacher (``FRSKDBiFPNc`` or
            ``FRSKDBiFPN``). ``in_channels`` defaults to the backbone's stage
            channels and ``num_classes`` to the head's.
        distill (dict): The FRSKD schema of :class:`FRSKDMixin`. Defaults:
            alpha 1, beta 0 (FRSKD\\F), KD temperature 4, ``ATLoss``
            (``FitNetLoss`` gets its channels filled in: classifier ``c_i``
            -> self-teacher ``d_i``). With ``OFDLoss``: ``level_weights``
            default as the FRSKD code (level ``i`` of ``n`` weighted
            ``1 / 2^(n-i)``; other losses sum their levels with weight 1) and
            ``margin`` ``'bn_init'`` (FRSKD code: from the self-teacher's
            output BNs at construction), ``'bn'`` or ``'running'``.
        **kwargs: The classifier, as mmpretrain's ``ImageClassifier``.
    """

    DEFAULT_DISTILL = dict(
        FRSKDMixin.DEFAULT_DISTILL,
        kd_loss=dict(type='KDLoss', temperature=4.0),
        margin='bn_init')

    def __init__(self,
                 self_teacher: dict,
                 distill: Optional[dict] = None,
                 **kwargs):
        super().__init__(**kwargs)
        if not self.with_head:
            raise ValueError(
                'FRSKDClassifier needs a head (its loss is reused '
                'for the self-teacher)')
        distill, kd_loss = self._init_frskd(distill, CLS_MODELS)

        stage_channels = self._check_backbone_stages()
        self_teacher = copy.deepcopy(self_teacher)
        self_teacher.setdefault('in_channels', list(stage_channels))
        self_teacher.setdefault('num_classes', self._head_num_classes())
        if list(self_teacher['in_channels']) != list(stage_channels):
            raise ValueError(
                f'self_teacher.in_channels {list(self_teacher["in_channels"])}'
                f' does not match the backbone stage channels '
                f'{list(stage_channels)}')
        # drawn apart: the classifier's weights are the baseline's
        with self._new_self_teacher_rng().build():
            self.self_teacher = CLS_MODELS.build(self_teacher)
            self._build_distill_losses(distill, kd_loss, stage_channels)

    # ------------------------------------------------------------ build
    def _head_num_classes(self) -> int:
        num_classes = getattr(self.head, 'num_classes', None)
        if num_classes is None:
            raise ValueError('cannot infer the self-teacher num_classes from '
                             f'{type(self.head).__name__}; set '
                             'self_teacher.num_classes')
        return num_classes

    def _check_backbone_stages(self) -> Tuple[int, ...]:
        """Stage channels, after checking that every stage is returned."""
        bb = self.backbone
        if hasattr(bb, 'stage_channels'):  # selfkd_seg CIFAR backbones
            channels = tuple(bb.stage_channels)
        elif hasattr(bb, 'res_layers'):  # mmpretrain ResNet family
            channels = tuple(
                getattr(bb, name)[-1].out_channels for name in bb.res_layers)
        else:
            raise TypeError(
                f'cannot tell the stage channels of {type(bb).__name__}: it '
                'needs `stage_channels` or `res_layers`')
        out_indices = tuple(getattr(bb, 'out_indices', ()))
        if out_indices != tuple(range(len(channels))):
            raise ValueError(
                f'FRSKD needs every backbone stage: set backbone.out_indices='
                f'{tuple(range(len(channels)))}, got {out_indices}')
        return channels

    def _build_distill_losses(self, distill: dict, kd_loss: nn.Module,
                              stage_channels: Sequence[int]) -> None:
        feat_cfg = dict(distill['feature_loss'])
        level_weights = distill['level_weights']
        feat_type = feat_cfg.get('type')
        if feat_type not in FEATURE_LOSSES:
            raise ValueError(f'distill.feature_loss.type must be one of '
                             f'{FEATURE_LOSSES}, got {feat_type!r}')
        teacher_channels = list(self.self_teacher.out_channels)
        n = len(stage_channels)
        losses = dict(kd=kd_loss)
        if feat_type == 'FitNetLoss':
            feat_cfg.setdefault('student_channels', list(stage_channels))
            feat_cfg.setdefault('teacher_channels', teacher_channels)
        losses['feat'] = CLS_MODELS.build(feat_cfg)
        self.use_preact = feat_type == 'OFDLoss'
        if self.use_preact:
            if not hasattr(self.backbone, 'forward_stages'):
                raise TypeError(
                    'OFDLoss needs pre-ReLU classifier features: the backbone'
                    ' must implement forward_stages() (selfkd_seg CIFAR '
                    f'backbones do, {type(self.backbone).__name__} does not)')
            # Overhaul connector: 1x1 conv + BN from c_i to d_i channels.
            losses['connectors'] = nn.ModuleList(
                nn.Sequential(
                    nn.Conv2d(c, d, 1, bias=False), nn.BatchNorm2d(d))
                for c, d in zip(stage_channels, teacher_channels))
            if distill['margin'] is None:
                raise ValueError('OFDLoss needs distill.margin (one of '
                                 "'bn_init', 'bn', 'running')")
            margins = MarginProvider(distill['margin'], teacher_channels,
                                     self.self_teacher.output_norms)
            # where FRSKD checkpoints have always kept their margin state
            if margins.source == 'bn_init':
                losses['margins'] = margins
            else:
                self.margin_estimator = margins
            if level_weights is None:
                level_weights = [2.0**-(n - 1 - i) for i in range(n)]
        elif level_weights is not None:
            raise ValueError('distill.level_weights is only used with '
                             f'OFDLoss; {feat_type} sums its levels')
        else:
            level_weights = [1.0] * n
        if len(level_weights) != n:
            raise ValueError(f'distill.level_weights has {len(level_weights)}'
                             f' entries for {n} levels')
        self.level_weights = list(level_weights)
        self.distill_losses = nn.ModuleDict(losses)

    # ------------------------------------------------------------ analysis
    def self_teacher_inputs(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """The stage features ``F_1..F_n`` the self-teacher is fed with.

        Used by the complexity tool to trace the self-teacher alone.
        """
        return self._stage_features(inputs)[1]

    def self_teacher_forward(
        self, inputs: torch.Tensor
    ) -> Dict[str, Union[torch.Tensor, List[torch.Tensor]]]:
        """Classifier and self-teacher features and logits, for analysis.

        Returns ``dict(student_feats, teacher_feats, student_logits,
        teacher_logits)``: the post-ReLU stage features ``F_i`` and refined
        features ``relu(T_i)`` (what the AT loss compares, the maps of the
        attention tool), and both classifiers' logits.  Not used by predict.
        """
        _, post = self._stage_features(inputs)
        refined = self.self_teacher(post)
        return dict(
            student_feats=post,
            teacher_feats=list(refined.post),
            student_logits=self._classify(post),
            teacher_logits=refined.logits)

    # ------------------------------------------------------------ forward
    def _stage_features(
        self, inputs: torch.Tensor
    ) -> Tuple[Optional[List[torch.Tensor]], List[torch.Tensor]]:
        """(pre-ReLU or None, post-ReLU) features of every stage."""
        if self.use_preact:
            pre, post = self.backbone.forward_stages(inputs)
            return list(pre), list(post)
        return None, list(self.backbone(inputs))

    def _classify(self, post_feats: List[torch.Tensor]) -> torch.Tensor:
        x = tuple(post_feats)
        if self.with_neck:
            x = self.neck(x)
        return self.head(x)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """CE + CE(self-teacher) + alpha * KD + beta * feature loss."""
        alpha, beta = self._frskd_weights()
        pre, post = self._stage_features(inputs)
        logits = self._classify(post)
        with self.self_teacher_rng.step(post[-1].device):
            refined = self.self_teacher(
                post)  # not detached: CE trains backbone

        losses = self._ce(logits, data_samples, 'loss_cls')
        losses.update(
            self._ce(refined.logits, data_samples, 'loss_self_teacher'))
        losses['loss_kd'] = alpha * self.distill_losses['kd'](
            logits, refined.logits.detach())
        losses['loss_feat'] = beta * self._feature_loss(pre, post, refined)
        return losses

    def _ce(self, logits: torch.Tensor, data_samples: List[DataSample],
            name: str) -> Dict[str, torch.Tensor]:
        """The head's own loss (hard or soft labels) under a new key."""
        out = self.head._get_loss(logits, data_samples)
        prefix = name[len('loss_'):]
        renamed = {}
        for key, value in out.items():
            renamed[name if key == 'loss' else f'{prefix}_{key}'] = value
        return renamed

    def _feature_loss(self, pre, post, refined) -> torch.Tensor:
        feat_loss = self.distill_losses['feat']
        if not isinstance(feat_loss, OFDLoss):  # AT / FitNet: sum of levels
            return feat_loss(
                [self.feature_act(f) for f in post],
                [self.feature_act(t.detach()) for t in refined.post])
        margins = self._margin_provider()(refined.pre,
                                          self.self_teacher.output_norms)
        connectors = self.distill_losses['connectors']
        total = 0.
        for i, (s, t) in enumerate(zip(pre, refined.pre)):
            total = total + self.level_weights[i] * feat_loss(
                connectors[i](s), t.detach(), margins[i])
        return total

    def _margin_provider(self) -> MarginProvider:
        return self.distill_losses['margins'] \
            if 'margins' in self.distill_losses else self.margin_estimator

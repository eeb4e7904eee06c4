"""FRSKD combined with SLA-SD (the FRSKD+SLA rows of the paper)."""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from selfkd_seg.models.heads.sla_head import SLAJointHead, rotate_batch
from selfkd_seg.models.necks.frskd_bifpn_base import SelfTeacherOutput
from selfkd_seg.registry import MODELS
from .frskd_classifier import FRSKDClassifier


def _cat(a: List[torch.Tensor], b: List[torch.Tensor]) -> List[torch.Tensor]:
    return [torch.cat([x, y]) for x, y in zip(a, b)]


@MODELS.register_module(codebases='mmpretrain')
class FRSKDSLAClassifier(FRSKDClassifier):
    """FRSKD with self-supervised label augmentation (FRSKD+SLA).

    `Refine Myself by Teaching Myself: Feature Refinement via Self-Knowledge
    Distillation <https://arxiv.org/abs/2103.08273>`_ (FRSKD) combined with
    SLA-SD of `Self-supervised Label Augmentation via Input Transformations
    <https://arxiv.org/abs/1910.05872>`_, as the FRSKD code does
    (``distill_loss/sla.py``).  Besides the plain batch ``x``, the classifier
    and the self-teacher see ``R`` rotated copies ``x_rot`` (a second forward
    pass, as in the code), and each gets a training-only joint
    ``R * C``-way head (:class:`SLAJointHead`) on its last feature.  With
    ``agg(.)`` the rotation-aggregated joint logits (a ``C``-way soft label),
    ``F``/``T`` the classifier/self-teacher features::

        L = CE(cls) + CE(st)                                   (plain batch)
            + CE_joint(cls_joint) + CE_joint(st_joint)         (x_rot)
            + aux_weight * [KD(cls || agg(cls_joint))
                            + KD(st || agg(st_joint))]         (SLA-SD)
            + alpha * KD([cls; agg(cls_joint)] || [st; agg(st_joint)])
            + beta * feature_loss([F; F_rot], [T; T_rot])

    All KD terms detach their right-hand (teacher) side and use the FRSKD
    temperature; the feature loss detaches the self-teacher side, as in
    :class:`FRSKDClassifier`.  The ``alpha``/``beta`` terms concatenate the
    plain and rotated batches exactly as the code does.  Labels must be hard
    (joint labels ``y * R + k`` need a class index): Mixup/CutMix batch
    augments are rejected.

    The joint heads live in ``distill_losses['sla']`` (``classifier`` and
    ``self_teacher`` entries), a training-only prefix, so the exported
    student is still a plain ``ImageClassifier``.  ``predict`` uses the plain
    head (the deployable path); ``sla.aggregate_at_test=True`` instead
    predicts with the classifier's aggregated joint logits over the ``R``
    rotations (SLA+AG, needs the training checkpoint).

    Args:
        sla (dict): SLA settings:

            - ``num_rotations`` (int): R, 4 (default, 0/90/180/270 degrees)
              or 2 (0/180).
            - ``aux_weight`` (float): Weight of the SLA-SD KD terms (the
              code's ``aux_lamb``). Default 1.
            - ``aggregate_at_test`` (bool): Predict with the aggregated joint
              logits. Default False.

        Other args: As :class:`FRSKDClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 self_teacher: dict,
                 sla: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 **kwargs):
        if train_cfg is not None and train_cfg.get('augments'):
            raise ValueError(
                'FRSKDSLAClassifier needs hard labels for its joint (class, '
                'rotation) labels: remove train_cfg.augments '
                f'({train_cfg["augments"]})')
        super().__init__(
            backbone=backbone,
            self_teacher=self_teacher,
            train_cfg=train_cfg,
            **kwargs)
        sla = dict(sla or {})
        self.num_rotations = sla.pop('num_rotations', 4)
        self.sla_weight = float(sla.pop('aux_weight', 1.0))
        self.aggregate_at_test = bool(sla.pop('aggregate_at_test', False))
        if sla:
            raise KeyError(f'unknown sla keys: {sorted(sla)}')
        if self.sla_weight < 0:
            raise ValueError(
                f'sla.aux_weight must be >= 0, got {self.sla_weight}')
        num_classes = self._head_num_classes()
        # The classifier's joint head sees what its plain head sees.
        cls_channels = getattr(self.head, 'in_channels',
                               self.self_teacher.in_channels[-1])
        self.distill_losses['sla'] = nn.ModuleDict(
            dict(
                classifier=SLAJointHead(cls_channels, num_classes,
                                        self.num_rotations),
                self_teacher=SLAJointHead(self.self_teacher.out_channels[-1],
                                          num_classes, self.num_rotations)))

    def _pooled(self, post_feats: List[torch.Tensor]) -> torch.Tensor:
        """The input of the classifier's head (the neck's last output)."""
        if self.with_neck:
            return self.neck(tuple(post_feats))[-1]
        return post_feats[-1]

    def _hard_labels(self, data_samples: List[DataSample]) -> torch.Tensor:
        if any('gt_label' not in s for s in data_samples):
            raise ValueError('FRSKDSLAClassifier needs gt_label (class '
                             'indices) in every data sample')
        return torch.cat([s.gt_label for s in data_samples])

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """FRSKD terms on plain + rotated batches, joint CE and SLA-SD."""
        alpha, beta = self._frskd_weights()
        heads = self.distill_losses['sla']
        kd = self.distill_losses['kd']
        labels = self._hard_labels(data_samples).to(inputs.device)

        pre, post = self._stage_features(inputs)
        logits = self._classify(post)
        with self.self_teacher_rng.step(inputs.device):
            # not detached: CE trains backbone
            refined = self.self_teacher(post)
        rot_pre, rot_post = self._stage_features(
            rotate_batch(inputs, self.num_rotations))
        with self.self_teacher_rng.step(inputs.device):
            rot_refined = self.self_teacher(rot_post)
        cls_joint = heads['classifier'](self._pooled(rot_post))
        st_joint = heads['self_teacher'](rot_refined.post[-1])
        cls_agg = heads['classifier'].aggregate(cls_joint)
        st_agg = heads['self_teacher'].aggregate(st_joint)

        losses = self._ce(logits, data_samples, 'loss_cls')
        losses.update(
            self._ce(refined.logits, data_samples, 'loss_self_teacher'))
        losses['loss_joint_cls'] = heads['classifier'].loss(cls_joint, labels)
        losses['loss_joint_self_teacher'] = heads['self_teacher'].loss(
            st_joint, labels)
        losses['loss_sla_kd'] = self.sla_weight * (
            kd(logits, cls_agg) + kd(refined.logits, st_agg))
        losses['loss_kd'] = alpha * kd(
            torch.cat([logits, cls_agg]), torch.cat([refined.logits, st_agg]))
        both = SelfTeacherOutput(
            _cat(refined.pre, rot_refined.pre),
            _cat(refined.post, rot_refined.post), None)
        losses['loss_feat'] = beta * self._feature_loss(
            _cat(pre, rot_pre) if pre is not None else None,
            _cat(post, rot_post), both)
        return losses

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        """Plain head (default), or SLA's aggregated joint prediction."""
        if not self.aggregate_at_test:
            return super().predict(inputs, data_samples, **kwargs)
        _, rot_post = self._stage_features(
            rotate_batch(inputs, self.num_rotations))
        head = self.distill_losses['sla']['classifier']
        agg = head.aggregate(head(self._pooled(rot_post)))
        return self.head._get_predictions(agg, data_samples)

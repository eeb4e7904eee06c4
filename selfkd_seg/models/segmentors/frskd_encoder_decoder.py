"""FRSKD as a plug-in for any mmseg ``EncoderDecoder`` (DeepLabV3+,
SegFormer, BiSeNetV2, ...): the student stays the unchanged mmseg model."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmseg.models.decode_heads import DepthwiseSeparableASPPHead, PointHead
from mmseg.models.segmentors import CascadeEncoderDecoder
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.utils import add_prefix
from torch import Tensor, nn

from selfkd_seg.models.distillers import level_shapes
from selfkd_seg.models.utils.distill import check_config_keys
from selfkd_seg.registry import MODELS
from .frskd_segmentor import FRSKDSegmentor, SegSelfTeacher

SELF_TEACHER_KEYS = ('in_index', 'channels', 'num_layers', 'norm_cfg', 'neck',
                     'decode_head', 'last_layer_top_down', 'detach_input',
                     'probe_size')


def _head_class(head_cfg: dict) -> Optional[type]:
    """The class a decode head config builds (None if not registered)."""
    head_type = head_cfg.get('type')
    if isinstance(head_type, type):
        return head_type
    return SEG_MODELS.get(head_type) if isinstance(head_type, str) else None


def _is_head(head_cfg: dict, cls: type) -> bool:
    head_cls = _head_class(head_cfg)
    return head_cls is not None and issubclass(head_cls, cls)


class LevelSelfTeacher(SegSelfTeacher):
    """A BiFPN self-teacher on chosen levels of any model's features.

    The BiFPN wants its inputs finest first; mmseg models list their outputs
    in their own order (BiSeNetV2: the 1/8 head feature, then the semantic
    branch at 1/4 .. 1/32). ``order`` sorts the chosen levels finest first
    for the BiFPN, and :meth:`refine` returns the refined levels in the
    config's order again, so ``refined[k]`` refines ``student_levels[k]``.
    """

    def __init__(self, neck: dict, decode_head: dict, order: Sequence[int],
                 detach_input: bool = False):
        super().__init__(neck, decode_head, detach_input)
        self.order = list(order)

    def refine(self, student_feats: Sequence[Tensor]) -> List[Tensor]:
        refined = self.neck([student_feats[k] for k in self.order])
        out = [None] * len(self.order)
        for k, feat in zip(self.order, refined):
            out[k] = feat
        return out


@MODELS.register_module(codebases='mmseg')
class FRSKDEncoderDecoder(FRSKDSegmentor):
    """FRSKD self-distillation for any mmseg ``EncoderDecoder``.

    `Refine Myself by Teaching Myself: Feature Refinement via Self-Knowledge
    Distillation <https://arxiv.org/abs/2103.08273>`_, generalised beyond the
    EfficientDet-style model of the paper: the student is any mmseg
    encoder-decoder, with its own attribute names (``backbone``, optional
    ``neck``, ``decode_head``, ``auxiliary_head``), so its weights load
    strictly into the stock mmseg config. A config changes only the type and
    adds the self-teacher::

        _base_ = ['mmseg::segformer/'
                  'segformer_mit-b0_8xb2-160k_ade20k-512x512.py']
        model = dict(type='FRSKDEncoderDecoder',
                     self_teacher=dict(in_index=(0, 1, 2, 3), channels=64))

    The self-teacher (training only, under ``self_teacher``) reads the
    levels ``in_index`` of ``extract_feat`` (the neck's outputs if the model
    has a neck, else the backbone's). Their channels and sizes come from one
    no-grad forward of a ``probe_size`` zero image at build (eval mode, no
    random numbers drawn, so the student's initialisation is the
    baseline's). It projects each level to ``channels`` and refines them
    with ``num_layers`` layers of :class:`WeightedBiFPN` (levels sorted finest
    first; the first layer's 1x1 conv + BN adapters are the projection), and
    predicts with its own head. Losses are those of
    :class:`FRSKDSegmentor` (same ``distill`` and ``gate`` options, same
    logged keys): CE of both heads, ``alpha`` * pixel KD, ``beta`` * AT
    between each chosen student level and its refined level.

    The self-teacher's head (``decode_head``):

    - ``None`` (default): a copy of the student's ``decode_head`` config with
      ``in_index`` remapped to the refined levels and every ``in_channels`` /
      ``*_in_channels`` set to ``channels``. DeepLabV3+'s
      :class:`DepthwiseSeparableASPPHead` also reads ``inputs[0]`` whatever
      ``in_index`` says (its c1 branch, ``c1_in_channels`` > 0): the
      student's level 0. Its copy gets the refined level 0 there: level 0
      is moved first in the self-teacher's levels (``self_teacher_levels``,
      the order of the refined levels; a message says so), so
      ``in_index=(1, 0, 2, 3)`` works as ``(0, 1, 2, 3)``. At build a
      gradient probe of the student's head (eval mode, no random numbers)
      and of the copy checks that the copy reads the refined versions of
      exactly the levels the student head reads. If the student head reads
      a level outside ``in_index`` (for DeepLabV3+ level 0 counts: add it
      to ``in_index`` for a copy), or the copy would read other levels, or
      it reads only a middle level (then some BiFPN levels would never be
      trained and AT would distil randomly initialised features), an
      aggregation head is used instead and a message says why.
    - ``'aggregate'``: an all-MLP :class:`SegformerHead` over every refined
      level (``channels`` wide).
    - a dict: that head as given (its inputs are the refined levels, in the
      order of ``in_index``, ``channels`` each; a
      :class:`DepthwiseSeparableASPPHead`'s c1 branch reads the first).

    Which refined levels the head reads is found by a gradient probe at
    build; that decides the BiFPN's last layer: the usual bottom-up outputs
    when the head reads the coarsest level, the top-down pass
    (``last_layer_top_down``) when it reads only finer ones including the
    finest. Either way every self-teacher parameter trains.

    Args:
        self_teacher (dict): ``in_index`` (int sequence, default all levels;
            negative indices count from the end), ``channels`` (int, common
            width, default 128), ``num_layers`` (int, default 2, the paper),
            ``norm_cfg`` (default: the student decode head's, e.g. SyncBN),
            ``neck`` (dict, more :class:`WeightedBiFPN` arguments, e.g.
            ``act_cfg``), ``decode_head`` (see above),
            ``last_layer_top_down`` (bool, default: chosen as above),
            ``detach_input`` (bool, default False, see
            :class:`FRSKDSegmentor`), ``probe_size`` (int, side of the probe
            image, default 128).
        distill (dict, optional): As :class:`FRSKDSegmentor`.
        gate (dict, optional): As :class:`FRSKDSegmentor`.
        **kwargs: The student, as :class:`EncoderDecoder`.
    """

    @staticmethod
    def _check_student_config(kwargs: dict) -> None:
        """Any encoder-decoder (the levels are checked once it is built);
        a cascade of decode heads is FRSKDCascadeEncoderDecoder's."""
        if 'num_stages' in kwargs or isinstance(kwargs.get('decode_head'),
                                                (list, tuple)):
            raise TypeError(
                'FRSKDEncoderDecoder got a cascade student (num_stages / a '
                'list of decode heads, as mmseg\'s CascadeEncoderDecoder, '
                'e.g. OCRNet): use type=\'FRSKDCascadeEncoderDecoder\'')

    def _distill_levels(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """The chosen levels of ``extract_feat``, in the config's order."""
        if torch.is_tensor(feats):
            feats = [feats]
        return [feats[i] for i in self.self_teacher_levels]

    def _build_self_teacher(self, self_teacher: dict, neck: Optional[dict],
                            decode_head: dict) -> LevelSelfTeacher:
        check_config_keys(self_teacher, SELF_TEACHER_KEYS,
                          f'{type(self).__name__} self_teacher')
        probe_size = int(self_teacher.get('probe_size', 128))
        shapes = self._probe_levels(probe_size)
        levels = self._select_levels(self_teacher.get('in_index'), shapes)
        channels = int(self_teacher.get('channels', 128))
        norm_cfg = self_teacher.get('norm_cfg') or dict(
            decode_head.get('norm_cfg') or dict(type='BN'))

        head_cfg = self_teacher.get('decode_head')
        default_head = head_cfg is None
        why = None  # why the default head is the aggregation head
        read = None  # the refined levels the head reads, probed below
        if default_head:
            head_cfg, read, levels, why = self._default_head(
                decode_head, levels, shapes, channels)
        elif head_cfg == 'aggregate':
            head_cfg, why = None, 'decode_head="aggregate"'
        elif not isinstance(head_cfg, dict):
            raise TypeError('self_teacher.decode_head must be None, '
                            f'"aggregate" or a head config, got {head_cfg!r}')
        self.self_teacher_levels = levels
        sizes = [shapes[i][1] for i in levels]
        # finest first for the BiFPN; ties keep the config's order
        order = sorted(range(len(levels)),
                       key=lambda k: -(sizes[k][0] * sizes[k][1]))
        head_cfg = (copy.deepcopy(dict(head_cfg)) if head_cfg is not None else
                    self._aggregate_head(decode_head, order, channels,
                                         norm_cfg))
        self._check_num_classes(head_cfg)
        if read is None:
            read = self._levels_read(head_cfg, sizes, channels)
        top_down = self._choose_top_down(
            read, order, self_teacher.get('last_layer_top_down'))
        if top_down is None:
            if not default_head:
                raise ValueError(
                    'self_teacher.decode_head reads refined level(s) '
                    f'{sorted(levels[k] for k in read)} only, none of them '
                    'the finest or the coarsest of in_index='
                    f'{tuple(levels)}: the BiFPN levels off its path would '
                    'never train and AT would distil random features. Let it '
                    'read the finest or the coarsest level, or use '
                    'decode_head="aggregate"')
            why = (f'the student head reads only level(s) '
                   f'{sorted(levels[k] for k in read)}, in the middle of '
                   f'in_index={tuple(levels)}')
            # the aggregation head reads every level: bottom-up outputs
            head_cfg = self._aggregate_head(decode_head, order, channels,
                                            norm_cfg)
            top_down = False
        if default_head and why:
            print_log(f'{type(self).__name__}: the self-teacher uses an '
                      f'aggregation head (SegformerHead) because {why}',
                      logger='current')

        neck_cfg = dict(
            type='WeightedBiFPN',
            in_channels=[shapes[levels[k]][0] for k in order],
            out_channels=channels,
            num_layers=int(self_teacher.get('num_layers', 2)),
            min_level=0,
            max_level=len(levels) - 1,
            backbone_min_level=0,
            norm_cfg=norm_cfg,
            last_layer_top_down=top_down)
        neck_cfg.update(self_teacher.get('neck') or {})
        return LevelSelfTeacher(neck_cfg, head_cfg, order,
                                self_teacher.get('detach_input', False))

    # ------------------------------------------------------------------
    def _probe_levels(self, size: int) -> List[Tuple[int, Tuple[int, int]]]:
        """(channels, (h, w)) of each ``extract_feat`` output for a
        ``size`` x ``size`` zero image (:func:`level_shapes`)."""
        try:
            return level_shapes(self, size)
        except RuntimeError as err:
            raise RuntimeError(f'{err} (set self_teacher.probe_size)') from err

    def _select_levels(self, in_index, shapes) -> List[int]:
        num = len(shapes)
        described = ', '.join(f'{i}: {c} ch {h}x{w}'
                              for i, (c, (h, w)) in enumerate(shapes))
        source = 'neck' if self.with_neck else 'backbone'
        where = (f'the student\'s extract_feat ({source}) gives {num} '
                 f'level{"s" if num != 1 else ""} [{described}] at the '
                 'probe size')
        if in_index is None:
            in_index = list(range(num))
        elif isinstance(in_index, int):
            in_index = [in_index]
        levels = []
        for i in in_index:
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f'self_teacher.in_index must hold ints, got '
                                f'{i!r}')
            if not -num <= i < num:
                raise ValueError(
                    f'self_teacher.in_index: level {i} is out of range: '
                    f'{where}; valid indices are {-num}..{num - 1}')
            levels.append(i % num)
        if len(set(levels)) != len(levels):
            raise ValueError(f'self_teacher.in_index names a level twice: '
                             f'{tuple(in_index)} ({where})')
        if len(levels) < 2:
            raise ValueError(
                'self_teacher.in_index must choose at least 2 levels for the '
                f'BiFPN self-teacher, got {tuple(in_index)}: {where}')
        return levels

    def _student_head(self) -> nn.Module:
        """The built student head the self-teacher's default head copies."""
        return self.decode_head

    def _default_head(self, decode_head: dict, levels: List[int], shapes,
                      channels: int):
        """The self-teacher's default head: ``(config, refined levels it
        reads, levels, None)`` for the student head's copy, the levels in
        the order the copy needs them; ``(None, None, levels, why)`` for the
        aggregation head."""
        head_cfg, head_levels, why = self._student_head_copy(
            decode_head, levels, len(shapes), channels)
        if head_cfg is None:
            return None, None, levels, why
        # the copy must read the refined versions of exactly the levels the
        # student head reads (a head may read inputs besides in_index)
        read = self._levels_read(head_cfg,
                                 [shapes[i][1] for i in head_levels],
                                 channels)
        copy_reads = sorted(head_levels[k] for k in read)
        student_reads = sorted(
            self._inputs_read(self._student_head(), shapes))
        if copy_reads != student_reads:
            return None, None, levels, (
                f'the student head ({decode_head.get("type")}) reads level(s) '
                f'{student_reads}, its copy on the refined levels '
                f'{tuple(head_levels)} would read {copy_reads}')
        if head_levels != levels:
            readers = '; '.join(self._fixed_reads(decode_head).values())
            print_log(
                f'{type(self).__name__}: the self-teacher\'s levels are '
                f'{tuple(head_levels)} (self_teacher.in_index='
                f'{tuple(levels)} reordered): {readers}, so the student '
                'head\'s copy finds the refined level there',
                logger='current')
        return head_cfg, read, head_levels, None

    @staticmethod
    def _fixed_reads(head_cfg: dict) -> Dict[int, str]:
        """The positions of its inputs a head reads whatever its
        ``in_index`` says (for the student: those levels of
        ``extract_feat``), each with what reads it."""
        if _is_head(head_cfg, DepthwiseSeparableASPPHead) and head_cfg.get(
                'c1_in_channels', 0) > 0:
            return {
                0: f'{_head_class(head_cfg).__name__}\'s c1 branch '
                '(c1_in_channels > 0) reads inputs[0] whatever in_index says'
            }
        return {}

    @classmethod
    def _student_head_copy(cls, decode_head: dict, levels: List[int],
                           num_levels: int, channels: int):
        """The student's head config on the refined levels and the levels in
        the order it needs them, or ``(None, levels, why)``.

        A level the head reads at a fixed position of its inputs
        (:meth:`_fixed_reads`) is moved to that position."""
        cfg = copy.deepcopy(dict(decode_head))
        in_index = cfg.get('in_index', -1)
        many = isinstance(in_index, (list, tuple))
        for i in (in_index if many else [in_index]):
            if i % num_levels not in levels:
                return None, levels, (
                    f'the student head reads level {i}, which is not in '
                    f'self_teacher.in_index={tuple(levels)}')
        fixed = cls._fixed_reads(cfg)
        for position, reader in fixed.items():
            if position not in levels:
                return None, levels, (
                    f'the student head reads level {position} ({reader}), '
                    'which is not in self_teacher.in_index='
                    f'{tuple(levels)}; add level {position} to '
                    'self_teacher.in_index for a copy of the student head')
        levels = list(levels)
        for position in sorted(fixed):
            levels.remove(position)
            levels.insert(position, position)
        remapped = [
            levels.index(i % num_levels)
            for i in (in_index if many else [in_index])
        ]
        cfg['in_index'] = remapped if many else remapped[0]
        for key, value in list(cfg.items()):
            if key == 'in_channels' or key.endswith('_in_channels'):
                cfg[key] = ([channels] * len(value) if isinstance(
                    value, (list, tuple)) else channels)
        return cfg, levels, None

    def _aggregate_head(self, decode_head: dict, order: List[int],
                        channels: int, norm_cfg: dict) -> dict:
        """An all-MLP head over every refined level, finest first."""
        return dict(
            type='SegformerHead',
            in_channels=[channels] * len(order),
            in_index=list(order),
            channels=channels,
            dropout_ratio=0.1,
            num_classes=self.num_classes,
            norm_cfg=norm_cfg,
            align_corners=self.align_corners,
            loss_decode=copy.deepcopy(decode_head.get(
                'loss_decode',
                dict(type='CrossEntropyLoss', use_sigmoid=False,
                     loss_weight=1.0))))

    @classmethod
    def _levels_read(cls, head_cfg: dict, sizes, channels: int) -> set:
        """Which refined levels ``head_cfg``'s head uses (a gradient probe)."""
        head = SEG_MODELS.build(copy.deepcopy(head_cfg))
        return cls._inputs_read(head, [(channels, size) for size in sizes])

    @staticmethod
    def _inputs_read(head: nn.Module, shapes) -> set:
        """Which of its inputs a built head's output depends on: a gradient
        probe with zero features of the given ``(channels, (h, w))``, in
        eval mode (no random numbers drawn, no running statistics updated;
        the head's mode is restored), leaving the parameters' ``.grad``."""
        param = next(head.parameters(), None)
        device = param.device if param is not None else None
        probes = [
            torch.zeros(1, c, h, w, device=device, requires_grad=True)
            for c, (h, w) in shapes
        ]
        was_training = head.training
        head.eval()
        try:
            with torch.enable_grad():
                out = head(probes)
                out = out[0] if isinstance(out, (list, tuple)) else out
                grads = torch.autograd.grad(
                    out.float().sum(), probes, allow_unused=True)
        finally:
            head.train(was_training)
        return {k for k, g in enumerate(grads) if g is not None}

    @staticmethod
    def _choose_top_down(read: set, order: List[int],
                         forced: Optional[bool]) -> Optional[bool]:
        """Bottom-up outputs if the head reads the coarsest level, the
        top-down pass if it reads the finest; None if neither."""
        if forced is not None:
            return bool(forced)
        if order[-1] in read:
            return False
        if order[0] in read:
            return True
        return None


@MODELS.register_module(codebases='mmseg')
class FRSKDCascadeEncoderDecoder(FRSKDEncoderDecoder, CascadeEncoderDecoder):
    """FRSKD for a cascade of decode heads (mmseg's
    ``CascadeEncoderDecoder`` whose every stage predicts a dense map:
    OCRNet's FCN head + OCR head).

    The student is the unchanged cascade (``num_stages``, a list of
    ``decode_head`` configs), so its weights load strictly into the stock
    config. Everything else is :class:`FRSKDEncoderDecoder`'s, with two
    choices a cascade needs:

    - The self-teacher's default head is a copy of the **first** stage's
      head (the only stage that predicts from the features alone; OCRNet's
      FCN head of soft object regions), remapped to the refined levels,
      with the **last** stage's ``loss_decode`` (OCRNet's first stage is an
      auxiliary at weight 0.4; the self-teacher's CE counts fully, as in
      FRSKD); the same fallback to an aggregation head applies.
    - Pixel KD, the CE lead and the gate use the **last** stage's logits and
      CE (``decode_{num_stages-1}.*``, mmseg's names), the model's output.

    The student's stages run exactly as in mmseg's
    ``CascadeEncoderDecoder.loss``, call for call and in the same order
    (``_decode_head_forward_train``): stage 0's ``loss``, then for each
    later stage ``i`` the previous stage's ``forward`` once more (its
    ``prev_output``) and stage ``i``'s loss. So an earlier stage's BN
    layers see their input twice per step and its dropout draws twice, as
    in the baseline; with the distillation weights at 0 and the same seed
    the student's losses and BN statistics are the baseline's. The last
    stage's loss is its ``forward`` + ``loss_by_feat`` (what
    ``BaseCascadeDecodeHead.loss`` runs), whose logits KD reads.

    PointRend (an ``FPNHead`` + a ``PointHead``) is refused at build: its
    point head predicts at points it samples from the previous stage's
    uncertainty, not a dense map, so it gives no last-stage logits for
    pixel KD.

    Example (``configs/frskd_mmseg/frskd_ocrnet_r18-tiny_digits.py``)::

        _base_ = ['mmseg::ocrnet/ocrnet_hr18_4xb4-80k_ade20k-512x512.py']
        model = dict(type='FRSKDCascadeEncoderDecoder',
                     self_teacher=dict(in_index=(0, 1, 2, 3), channels=64))
    """

    @staticmethod
    def _check_student_config(kwargs: dict) -> None:
        heads = kwargs.get('decode_head')
        if not isinstance(heads, (list, tuple)) or len(heads) != kwargs.get(
                'num_stages'):
            raise TypeError(
                'FRSKDCascadeEncoderDecoder needs num_stages and a list of '
                'that many decode_head configs (mmseg\'s '
                'CascadeEncoderDecoder), got num_stages='
                f"{kwargs.get('num_stages')!r} and decode_head of type "
                f'{type(heads).__name__}; a single head is '
                'FRSKDEncoderDecoder\'s')
        for i, head in enumerate(heads):
            if _is_head(head, PointHead) or head.get('type') == 'PointHead':
                raise TypeError(
                    'FRSKDCascadeEncoderDecoder does not support PointRend: '
                    f'decode_head[{i}] is a PointHead ({head.get("type")}), '
                    'which predicts logits at points it samples from the '
                    'previous stage\'s uncertainty, not a dense map, so '
                    'there are no last-stage logits for pixel KD and the '
                    'lead. Supported are cascades whose every stage predicts '
                    'a dense map from forward(inputs[, prev_output]), e.g. '
                    'OCRNet (FCNHead + OCRHead)')

    def _student_head(self) -> nn.Module:
        return self.decode_head[0]

    def _build_self_teacher(self, self_teacher: dict, neck: Optional[dict],
                            decode_head) -> LevelSelfTeacher:
        first = copy.deepcopy(dict(decode_head[0]))
        last = dict(decode_head[-1])
        if 'loss_decode' in last:
            # the self-teacher's CE weighs as the model's output (OCRNet's
            # first stage is an auxiliary at loss_weight 0.4)
            first['loss_decode'] = copy.deepcopy(last['loss_decode'])
        return super()._build_self_teacher(self_teacher, neck, first)

    def _student_decode_losses(self, feats, data_samples):
        """The last stage's logits and every stage's losses, from the calls
        mmseg's ``CascadeEncoderDecoder._decode_head_forward_train`` makes,
        in its order."""
        losses, prev, last = {}, None, self.num_stages - 1
        for i, head in enumerate(self.decode_head):
            inputs = (feats, ) if i == 0 else (feats, prev)
            if i == last:
                # its loss, as BaseDecodeHead.loss / BaseCascadeDecodeHead.loss
                # run it, keeping the logits for KD
                logits = head.forward(*inputs)
                losses.update(self._head_losses(head, logits, data_samples,
                                                f'decode_{i}'))
            else:
                losses.update(add_prefix(
                    head.loss(*inputs, data_samples, self.train_cfg),
                    f'decode_{i}'))
                # mmseg's "forward test again": the next stage's input
                prev = head.forward(*inputs)
        return logits, losses

    def _student_logits(self, feats: Sequence[Tensor]) -> Tensor:
        out = self.decode_head[0](feats)
        for head in self.decode_head[1:]:
            out = head(feats, out)
        return out
